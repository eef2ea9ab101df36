package container

import (
	"strings"
	"testing"
	"time"

	ctr "github.com/moby/moby/api/types/container"
)

func TestNextHealth(t *testing.T) {
	start := time.Now()
	cfg := withDefaults(ctr.HealthConfig{Retries: 2, StartPeriod: 10 * time.Second})
	probe := func(code int, after time.Duration) *ctr.HealthcheckResult {
		return &ctr.HealthcheckResult{Start: start.Add(after), ExitCode: code}
	}
	steps := []struct {
		res    *ctr.HealthcheckResult
		status ctr.HealthStatus
		streak int
	}{
		{probe(1, time.Second), ctr.Starting, 0},      // in the start period: not counted
		{probe(1, 11*time.Second), ctr.Starting, 1},   // counted now
		{probe(0, 12*time.Second), ctr.Healthy, 0},    // success
		{probe(1, 13*time.Second), ctr.Healthy, 1},    // one failure: still healthy
		{probe(-1, 14*time.Second), ctr.Unhealthy, 2}, // timeout is a failure
		{probe(2, 15*time.Second), ctr.Unhealthy, 3},  // stays unhealthy
		{probe(0, 16*time.Second), ctr.Healthy, 0},    // recovers
	}
	var h *ctr.Health
	for i, s := range steps {
		prev := h
		h = nextHealth(h, s.res, cfg, start)
		if h.Status != s.status || h.FailingStreak != s.streak {
			t.Fatalf("step %d: %s/%d, want %s/%d", i, h.Status, h.FailingStreak, s.status, s.streak)
		}
		if prev != nil && len(prev.Log) == len(h.Log) && len(h.Log) < maxHealthLog {
			t.Fatalf("step %d: previous health modified in place", i)
		}
	}
	if len(h.Log) != maxHealthLog || h.Log[maxHealthLog-1] != steps[len(steps)-1].res {
		t.Fatalf("log keeps the last %d: %d entries", maxHealthLog, len(h.Log))
	}
}

func TestMergeHealthcheck(t *testing.T) {
	img := &ctr.HealthConfig{Test: []string{"CMD-SHELL", "img"}, Interval: time.Second, Retries: 4}
	cases := []struct {
		name     string
		user     *ctr.HealthConfig
		test     string
		interval time.Duration
		retries  int
	}{
		{"inherit", nil, "img", time.Second, 4},
		{"override cmd", &ctr.HealthConfig{Test: []string{"CMD-SHELL", "mine"}}, "mine", time.Second, 4},
		{"override interval", &ctr.HealthConfig{Interval: 5 * time.Second}, "img", 5 * time.Second, 4},
	}
	for _, tc := range cases {
		got := mergeHealthcheck(tc.user, img)
		if got.Test[1] != tc.test || got.Interval != tc.interval || got.Retries != tc.retries {
			t.Errorf("%s: %+v", tc.name, got)
		}
	}
	if mergeHealthcheck(nil, nil) != nil {
		t.Error("no check at all")
	}
	none := &ctr.HealthConfig{Test: []string{"NONE"}}
	if healthEnabled(mergeHealthcheck(none, img)) {
		t.Error("--no-healthcheck must disable the image's check")
	}
}

func TestProbeArgs(t *testing.T) {
	cases := map[string][]string{
		"/bin/sh -c exit 1": {"CMD-SHELL", "exit 1"},
		"cat /tmp/ok":       {"CMD", "cat", "/tmp/ok"},
	}
	for want, test := range cases {
		if got := strings.Join(probeArgs(test), " "); got != want {
			t.Errorf("%v: %q", test, got)
		}
	}
}

func TestCappedBuffer(t *testing.T) {
	b := &cappedBuffer{max: 4}
	n, err := b.Write([]byte("abc"))
	if n != 3 || err != nil {
		t.Fatal(n, err)
	}
	if n, _ := b.Write([]byte("defg")); n != 4 || b.String() != "abcd" {
		t.Fatalf("%d %q", n, b.String())
	}
}

func TestHealthFilterValue(t *testing.T) {
	c := &Container{Config: &ctr.Config{Healthcheck: &ctr.HealthConfig{Test: []string{"CMD", "true"}}}}
	if got := healthStatus(c, State{Health: &ctr.Health{Status: ctr.Healthy}}); got != ctr.Healthy {
		t.Error(got)
	}
	if got := healthStatus(&Container{Config: &ctr.Config{}}, State{}); got != ctr.NoHealthcheck {
		t.Error(got)
	}
}
