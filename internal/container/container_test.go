package container

import (
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/image"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctr "github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "A=1", "B=2"}, []string{"A=x", "C=3", "PATH=/usr/bin"})
	want := []string{"PATH=/usr/bin", "A=x", "B=2", "C=3"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
}

func TestMergeImageConfig(t *testing.T) {
	img := &image.Image{Config: dockerspec.DockerOCIImage{Config: dockerspec.DockerOCIImageConfig{
		ImageConfig: ocispec.ImageConfig{
			Cmd: []string{"sh"}, Entrypoint: []string{"/init"}, Env: []string{"PATH=/bin", "X=1"},
			WorkingDir: "/srv", User: "web", StopSignal: "SIGQUIT", Labels: map[string]string{"a": "img", "b": "img"},
		},
	}}}
	cases := []struct {
		name       string
		user       ctr.Config
		entrypoint []string
		cmd        []string
	}{
		{"inherit all", ctr.Config{}, []string{"/init"}, []string{"sh"}},
		{"cmd only", ctr.Config{Cmd: []string{"echo"}}, []string{"/init"}, []string{"echo"}},
		{"entrypoint drops image cmd", ctr.Config{Entrypoint: []string{"/bin/x"}}, []string{"/bin/x"}, nil},
		{"empty entrypoint keeps it empty", ctr.Config{Entrypoint: []string{}, Cmd: []string{"ls"}}, []string{}, []string{"ls"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.user.Labels = map[string]string{"b": "user"}
			c := mergeImageConfig(&tc.user, img)
			if len(c.Entrypoint) != len(tc.entrypoint) || len(c.Cmd) != len(tc.cmd) {
				t.Fatalf("entrypoint %v cmd %v", c.Entrypoint, c.Cmd)
			}
			if c.WorkingDir != "/srv" || c.User != "web" || c.StopSignal != "SIGQUIT" {
				t.Fatalf("not inherited: %+v", c)
			}
			if c.Labels["a"] != "img" || c.Labels["b"] != "user" {
				t.Fatalf("labels %v", c.Labels)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "term": syscall.SIGTERM, "9": syscall.SIGKILL, "HUP": syscall.SIGHUP, "SIGRTMIN+1": 0} {
		got, err := ParseSignal(in)
		if want == 0 {
			continue // platform-dependent names are not pinned
		}
		if err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"NOPE", "0", "100", "-1", ""} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{"web": true, "/web": true, "a.b-c_d": true, "x": false, "bad/name": false, "-x": false, "héllo": false} {
		if err := validateName(name); (err == nil) != ok {
			t.Errorf("%q: %v", name, err)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		n := generateName(func(s string) bool { return seen[s] })
		if seen[n] || validateName(n) != nil {
			t.Fatalf("bad generated name %q", n)
		}
		seen[n] = true
	}
}

func TestWaitConditions(t *testing.T) {
	running := State{Status: ctr.StateRunning}
	exited := State{Status: ctr.StateExited, exits: 1}
	removed := State{Status: ctr.StateExited, exits: 1, Removed: true}
	cases := []struct {
		cond ctr.WaitCondition
		st   State
		from int
		want bool
	}{
		{"", running, 0, false},
		{"", exited, 0, true},
		{ctr.WaitConditionNotRunning, State{Status: ctr.StateCreated}, 0, true},
		{ctr.WaitConditionNextExit, exited, 1, false},
		{ctr.WaitConditionNextExit, exited, 0, true},
		{ctr.WaitConditionRemoved, exited, 0, false},
		{ctr.WaitConditionRemoved, removed, 0, true},
	}
	for _, tc := range cases {
		if got := met(tc.cond, tc.st, tc.from); got != tc.want {
			t.Errorf("%q %+v from %d: %v", tc.cond, tc.st, tc.from, got)
		}
	}
}

func TestStatusString(t *testing.T) {
	now := time.Now()
	cases := map[string]State{
		"Created":                           {Status: ctr.StateCreated},
		"Up Less than a second":             {Status: ctr.StateRunning, StartedAt: now},
		"Exited (3) Less than a second ago": {Status: ctr.StateExited, ExitCode: 3, FinishedAt: now},
		"Up 2 minutes":                      {Status: ctr.StateRunning, StartedAt: now.Add(-2 * time.Minute)},
	}
	for want, st := range cases {
		if got := statusString(st); got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
}

func TestListFilters(t *testing.T) {
	mk := func(id, name, status string, code int, labels map[string]string) *Container {
		return &Container{ID: id, Name: name, Config: &ctr.Config{Image: "busybox", Labels: labels},
			HostConfig: &ctr.HostConfig{}, State: State{Status: ctr.ContainerState(status), ExitCode: code}}
	}
	a := mk("aaa1", "web", "running", 0, map[string]string{"tier": "front"})
	b := mk("bbb2", "db", "exited", 3, map[string]string{"tier": "back"})
	none := func(string) (string, bool) { return "", false }
	cases := []struct {
		f    map[string][]string
		want []bool // a, b
	}{
		{map[string][]string{"name": {"web"}}, []bool{true, false}},
		{map[string][]string{"id": {"bbb"}}, []bool{false, true}},
		{map[string][]string{"status": {"exited"}}, []bool{false, true}},
		{map[string][]string{"exited": {"3"}}, []bool{false, true}},
		{map[string][]string{"label": {"tier=front"}}, []bool{true, false}},
		{map[string][]string{"label": {"tier"}}, []bool{true, true}},
		{map[string][]string{"ancestor": {"busybox"}}, []bool{true, true}},
	}
	for _, tc := range cases {
		for i, c := range []*Container{a, b} {
			if got := matches(c, c.State, tc.f, none); got != tc.want[i] {
				t.Errorf("%v on %s: %v", tc.f, c.Name, got)
			}
		}
	}
}
