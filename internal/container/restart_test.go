package container

import (
	"testing"
	"time"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

func TestShouldRestart(t *testing.T) {
	always := ctr.RestartPolicy{Name: ctr.RestartPolicyAlways}
	unless := ctr.RestartPolicy{Name: ctr.RestartPolicyUnlessStopped}
	onFail2 := ctr.RestartPolicy{Name: ctr.RestartPolicyOnFailure, MaximumRetryCount: 2}
	onFail := ctr.RestartPolicy{Name: ctr.RestartPolicyOnFailure}
	no := ctr.RestartPolicy{Name: ctr.RestartPolicyDisabled}
	ok0 := State{ExitCode: 0}
	fail := State{ExitCode: 1}
	stopped := State{ExitCode: 137, ManuallyStopped: true}
	cases := []struct {
		name     string
		p        ctr.RestartPolicy
		st       State
		restarts int
		boot     bool
		want     bool
	}{
		{"no", no, fail, 0, false, false},
		{"empty", ctr.RestartPolicy{}, fail, 0, false, false},
		{"always after success", always, ok0, 5, false, true},
		{"always after manual stop", always, stopped, 0, false, false},
		{"always at boot even if stopped", always, stopped, 0, true, true},
		{"unless-stopped", unless, ok0, 0, false, true},
		{"unless-stopped manual stop", unless, stopped, 0, false, false},
		{"unless-stopped manual stop at boot", unless, stopped, 0, true, false},
		{"on-failure success", onFail2, ok0, 0, false, false},
		{"on-failure first", onFail2, fail, 0, false, true},
		{"on-failure second", onFail2, fail, 1, false, true},
		{"on-failure exhausted", onFail2, fail, 2, false, false},
		{"on-failure unlimited", onFail, fail, 100, false, true},
		{"on-failure manual stop", onFail, stopped, 0, false, false},
	}
	for _, tc := range cases {
		if got := shouldRestart(tc.p, tc.st, tc.restarts, tc.boot); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestNextBackoff(t *testing.T) {
	cases := []struct {
		prev, ran, want time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{100 * time.Millisecond, time.Second, 200 * time.Millisecond},
		{400 * time.Millisecond, time.Second, 800 * time.Millisecond},
		{800 * time.Millisecond, 10 * time.Second, 100 * time.Millisecond},
		{40 * time.Second, time.Second, time.Minute},
		{time.Minute, time.Second, time.Minute},
	}
	for _, tc := range cases {
		if got := nextBackoff(tc.prev, tc.ran); got != tc.want {
			t.Errorf("nextBackoff(%v, %v) = %v, want %v", tc.prev, tc.ran, got, tc.want)
		}
	}
}

func TestValidatePolicies(t *testing.T) {
	cases := []struct {
		name string
		cfg  ctr.Config
		hc   ctr.HostConfig
		ok   bool
	}{
		{"none", ctr.Config{}, ctr.HostConfig{}, true},
		{"on-failure:3", ctr.Config{}, ctr.HostConfig{RestartPolicy: ctr.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}}, true},
		{"on-failure:-1", ctr.Config{}, ctr.HostConfig{RestartPolicy: ctr.RestartPolicy{Name: "on-failure", MaximumRetryCount: -1}}, false},
		{"always:2", ctr.Config{}, ctr.HostConfig{RestartPolicy: ctr.RestartPolicy{Name: "always", MaximumRetryCount: 2}}, false},
		{"unknown", ctr.Config{}, ctr.HostConfig{RestartPolicy: ctr.RestartPolicy{Name: "sometimes"}}, false},
		{"rm and always", ctr.Config{}, ctr.HostConfig{AutoRemove: true, RestartPolicy: ctr.RestartPolicy{Name: "always"}}, false},
		{"rm and no", ctr.Config{}, ctr.HostConfig{AutoRemove: true, RestartPolicy: ctr.RestartPolicy{Name: "no"}}, true},
		{"health ok", ctr.Config{Healthcheck: &ctr.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Second}}, ctr.HostConfig{}, true},
		{"health interval too small", ctr.Config{Healthcheck: &ctr.HealthConfig{Interval: time.Microsecond}}, ctr.HostConfig{}, false},
		{"health negative retries", ctr.Config{Healthcheck: &ctr.HealthConfig{Retries: -1}}, ctr.HostConfig{}, false},
		{"health bad type", ctr.Config{Healthcheck: &ctr.HealthConfig{Test: []string{"RUN", "x"}}}, ctr.HostConfig{}, false},
	}
	for _, tc := range cases {
		err := validatePolicies(&tc.cfg, &tc.hc)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: not an invalid-argument error: %v", tc.name, err)
		}
	}
	err := validatePolicies(&ctr.Config{}, &ctr.HostConfig{AutoRemove: true, RestartPolicy: ctr.RestartPolicy{Name: "always"}})
	if err == nil || err.Error() != "Conflicting options: --restart and --rm: invalid argument" {
		t.Errorf("rm+restart: %v", err)
	}
}

func TestRestarterQueuesUntilBoot(t *testing.T) {
	var r restarter
	ran := make(chan int, 3)
	r.run(func() { ran <- 1 })
	r.run(func() { ran <- 2 })
	select {
	case <-ran:
		t.Fatal("ran before boot")
	case <-time.After(20 * time.Millisecond):
	}
	r.boot()
	r.run(func() { ran <- 3 })
	got := map[int]bool{}
	for i := 0; i < 3; i++ {
		select {
		case n := <-ran:
			got[n] = true
		case <-time.After(time.Second):
			t.Fatalf("only %v ran", got)
		}
	}
}

func TestWaitCountsRestartingExit(t *testing.T) {
	restarting := State{Status: ctr.StateRestarting, exits: 1}
	if !met("", restarting, 0) {
		t.Error("an exit followed by a policy restart must satisfy not-running")
	}
	if met("", restarting, 1) {
		t.Error("a waiter registered while restarting waits for the next exit")
	}
}

func TestStatusStringRestartingAndHealth(t *testing.T) {
	now := time.Now()
	cases := map[string]State{
		"Restarting (1) Less than a second ago": {Status: ctr.StateRestarting, ExitCode: 1, FinishedAt: now},
		"Up 2 minutes (healthy)":                {Status: ctr.StateRunning, StartedAt: now.Add(-2 * time.Minute), Health: &ctr.Health{Status: ctr.Healthy}},
		"Up 2 minutes (health: starting)":       {Status: ctr.StateRunning, StartedAt: now.Add(-2 * time.Minute), Health: &ctr.Health{Status: ctr.Starting}},
		"Up 2 minutes (unhealthy)":              {Status: ctr.StateRunning, StartedAt: now.Add(-2 * time.Minute), Health: &ctr.Health{Status: ctr.Unhealthy}},
	}
	for want, st := range cases {
		if got := statusString(st); got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
}
