package container

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

type dockerFunc func(args ...string) (string, string, int)

func dockerOn(t *testing.T, d *daemon.Daemon) dockerFunc {
	return func(args ...string) (string, string, int) { return d.Run(t, "", dockerCLI, args...) }
}

func mustDocker(t *testing.T, docker dockerFunc, args ...string) string {
	t.Helper()
	out, errOut, code := docker(args...)
	if code != 0 {
		t.Fatalf("docker %v: exit %d: %s", args, code, errOut)
	}
	return strings.TrimSpace(out)
}

func nowStamp() string {
	return strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 9, 64)
}

// TestEvents: the docker CLI's `events` replays create/attach/start/die/
// destroy with --since/--until and filters, image events are reported,
// and the Go client receives live events as they happen.
func TestEvents(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := dockerOn(t, d)
	since := nowStamp()
	time.Sleep(10 * time.Millisecond)
	if _, _, code := docker("run", "--name", "ev1", "-l", "tier=front", "busybox", "sh", "-c", "exit 3"); code != 3 {
		t.Fatalf("run: exit %d", code)
	}
	mustDocker(t, docker, "rm", "ev1")
	mustDocker(t, docker, "run", "--rm", "--name", "ev2", "busybox", "true")
	mustDocker(t, docker, "tag", "busybox", "evtag:1")
	mustDocker(t, docker, "rmi", "evtag:1")
	time.Sleep(10 * time.Millisecond)
	until := nowStamp()
	events := func(args ...string) string {
		return mustDocker(t, docker, append([]string{"events", "--since", since, "--until", until}, args...)...)
	}
	t.Run("container lifecycle", func(t *testing.T) {
		got := events("--filter", "container=ev1", "--format", "{{.Action}}")
		if want := "create\nattach\nstart\ndie\ndestroy"; got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	})
	t.Run("event and label filters", func(t *testing.T) {
		got := events("--filter", "event=die", "--filter", "label=tier=front", "--format", "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}")
		if got != "ev1 3" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("default format", func(t *testing.T) {
		got := events("--filter", "container=ev2", "--filter", "event=destroy")
		if !strings.Contains(got, " container destroy ") || !strings.Contains(got, "(image=busybox, name=ev2)") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("image events", func(t *testing.T) {
		got := events("--filter", "type=image", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
		if !strings.Contains(got, "tag evtag:1") || !strings.Contains(got, "untag ") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("bad filter", func(t *testing.T) {
		if _, errOut, code := docker("events", "--filter", "bogus=1", "--until", until); code == 0 || !strings.Contains(errOut, "invalid filter 'bogus'") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("live stream", func(t *testing.T) {
		c := d.Client(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res := c.Events(ctx, client.EventsListOptions{Filters: make(client.Filters).Add("container", "ev3")})
		mustDocker(t, docker, "run", "-d", "--name", "ev3", "busybox", "sleep", "60")
		mustDocker(t, docker, "kill", "ev3")
		var got []string
		for len(got) < 4 {
			select {
			case m := <-res.Messages:
				a := string(m.Action)
				if m.Action == "kill" {
					a += ":" + m.Actor.Attributes["signal"]
				}
				got = append(got, a)
			case err := <-res.Err:
				t.Fatalf("after %v: %v", got, err)
			}
		}
		if strings.Join(got, " ") != "create start kill:9 die" {
			t.Fatalf("got %v", got)
		}
		mustDocker(t, docker, "rm", "ev3")
	})
}

func inspect(t *testing.T, docker dockerFunc, name, tmpl string) string {
	t.Helper()
	return mustDocker(t, docker, "inspect", "-f", tmpl, name)
}

// TestRestartPolicies: on-failure:N counts its restarts, always restarts
// after a kill but not after a stop, "Restarting (N)" shows in ps, and bad
// policies are refused.
func TestRestartPolicies(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := dockerOn(t, d)
	t.Run("on-failure:2", func(t *testing.T) {
		since := nowStamp()
		mustDocker(t, docker, "run", "-d", "--name", "of", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
		waitFor(t, func() bool {
			return inspect(t, docker, "of", "{{.RestartCount}} {{.State.Status}}") == "2 exited"
		})
		time.Sleep(500 * time.Millisecond) // no third restart
		if got := inspect(t, docker, "of", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}"); got != "2 exited 1" {
			t.Fatalf("got %q", got)
		}
		starts := mustDocker(t, docker, "events", "--since", since, "--until", nowStamp(), "--filter", "container=of", "--filter", "event=start", "--format", "{{.Action}}")
		if strings.Count(starts, "start") != 3 {
			t.Fatalf("start events: %q", starts)
		}
		mustDocker(t, docker, "rm", "of")
	})
	t.Run("always after kill, not after stop", func(t *testing.T) {
		mustDocker(t, docker, "run", "-d", "--name", "al", "--restart", "always", "busybox", "sleep", "60")
		pid := inspect(t, docker, "al", "{{.State.Pid}}")
		mustDocker(t, docker, "kill", "al")
		waitFor(t, func() bool {
			out := inspect(t, docker, "al", "{{.RestartCount}} {{.State.Running}} {{.State.Pid}}")
			return strings.HasPrefix(out, "1 true ") && !strings.HasSuffix(out, " "+pid)
		})
		mustDocker(t, docker, "stop", "-t", "1", "al")
		time.Sleep(500 * time.Millisecond)
		if got := inspect(t, docker, "al", "{{.State.Status}} {{.RestartCount}}"); got != "exited 1" {
			t.Fatalf("after stop: %q", got)
		}
		mustDocker(t, docker, "start", "al") // a manual start resets the count
		if got := inspect(t, docker, "al", "{{.State.Status}} {{.RestartCount}}"); got != "running 0" {
			t.Fatalf("after start: %q", got)
		}
		mustDocker(t, docker, "rm", "-f", "al")
	})
	t.Run("restarting in ps and inspect", func(t *testing.T) {
		mustDocker(t, docker, "run", "-d", "--name", "flap", "--restart", "always", "busybox", "sh", "-c", "exit 2")
		waitFor(t, func() bool {
			return strings.HasPrefix(mustDocker(t, docker, "ps", "-a", "--filter", "name=flap", "--format", "{{.Status}}"), "Restarting (2) ")
		})
		waitFor(t, func() bool {
			return inspect(t, docker, "flap", "{{.State.Status}} {{.State.Restarting}} {{.State.Running}}") == "restarting true true"
		})
		if _, errOut, code := docker("rm", "flap"); code == 0 || !strings.Contains(errOut, "container is restarting") {
			t.Fatalf("rm of a restarting container: %d %s", code, errOut)
		}
		mustDocker(t, docker, "stop", "flap")
		if got := inspect(t, docker, "flap", "{{.State.Status}}"); got != "exited" {
			t.Fatalf("after stop: %q", got)
		}
		mustDocker(t, docker, "rm", "flap")
	})
	t.Run("validation", func(t *testing.T) {
		cases := []struct {
			args []string
			msg  string
		}{
			{[]string{"run", "--restart", "on-failure:-1", "busybox", "true"}, "maximum retry count cannot be negative"},
			{[]string{"run", "--restart", "sometimes", "busybox", "true"}, "unknown policy 'sometimes'"},
			{[]string{"run", "--rm", "--restart", "always", "busybox", "true"}, "conflicting options: cannot specify both --restart and --rm"},
		}
		for _, tc := range cases {
			if _, errOut, code := docker(tc.args...); code != 125 || !strings.Contains(errOut, tc.msg) {
				t.Errorf("%v: exit %d: %s", tc.args, code, errOut)
			}
		}
		// Through the API too (the docker CLI checks --rm itself): 400.
		_, err := d.Client(t).ContainerCreate(context.Background(), client.ContainerCreateOptions{
			Config:     &ctr.Config{Image: "busybox", Cmd: []string{"true"}},
			HostConfig: &ctr.HostConfig{AutoRemove: true, RestartPolicy: ctr.RestartPolicy{Name: ctr.RestartPolicyAlways}},
		})
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "Conflicting options: --restart and --rm") {
			t.Fatalf("API: %v", err)
		}
	})
}

// TestRestartPolicyDaemonRestart: after a kill -9 of the daemon, an
// unless-stopped container whose process died meanwhile is started again,
// a manually stopped one stays stopped, and "always" comes back even after
// a manual stop (Docker's rule at daemon start).
func TestRestartPolicyDaemonRestart(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := dockerOn(t, d)
	mustDocker(t, docker, "run", "-d", "--name", "us", "--restart", "unless-stopped", "busybox", "sleep", "600")
	mustDocker(t, docker, "run", "-d", "--name", "us-stopped", "--restart", "unless-stopped", "busybox", "sleep", "600")
	mustDocker(t, docker, "run", "-d", "--name", "al-stopped", "--restart", "always", "busybox", "sleep", "600")
	mustDocker(t, docker, "run", "-d", "--name", "plain", "busybox", "sleep", "600")
	mustDocker(t, docker, "stop", "-t", "0", "us-stopped", "al-stopped")
	pid, _ := strconv.Atoi(inspect(t, docker, "us", "{{.State.Pid}}"))
	plainPid := inspect(t, docker, "plain", "{{.State.Pid}}")
	d.Kill(t)
	// The container's process dies while the daemon is down.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	d.Start(t)
	waitFor(t, func() bool { return inspect(t, docker, "us", "{{.State.Status}}") == "running" })
	if got := inspect(t, docker, "us", "{{.State.Pid}}"); got == strconv.Itoa(pid) {
		t.Fatal("us: same pid")
	}
	waitFor(t, func() bool { return inspect(t, docker, "al-stopped", "{{.State.Status}}") == "running" })
	if got := inspect(t, docker, "us-stopped", "{{.State.Status}}"); got != "exited" {
		t.Fatalf("us-stopped: %s", got)
	}
	if got := inspect(t, docker, "plain", "{{.State.Status}} {{.State.Pid}}"); got != "running "+plainPid {
		t.Fatalf("plain: %s", got)
	}
	// The restarted container's network works.
	if out := mustDocker(t, docker, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "us"); out == "" {
		t.Fatal("us has no address after the restart")
	}
	mustDocker(t, docker, "rm", "-f", "us", "us-stopped", "al-stopped", "plain")
}

type healthDoc struct {
	Status        string
	FailingStreak int
	Log           []struct {
		ExitCode int
		Output   string
	}
}

func health(t *testing.T, docker dockerFunc, name string) healthDoc {
	t.Helper()
	var h healthDoc
	if err := json.Unmarshal([]byte(inspect(t, docker, name, "{{json .State.Health}}")), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHealthChecks: --health-* flags drive probes run inside the
// container; status goes starting → healthy → unhealthy with events, ps
// shows it and filters on it, probes resume after a daemon restart, and
// the opt-in label restarts an unhealthy container.
func TestHealthChecks(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := dockerOn(t, d)
	t.Run("transitions", func(t *testing.T) {
		since := nowStamp()
		mustDocker(t, docker, "run", "-d", "--name", "hc", "--health-cmd", "cat /tmp/ok", "--health-interval", "200ms",
			"--health-retries", "2", "--health-start-period", "30s", "--health-start-interval", "100ms", "busybox", "sh", "-c", "sleep 1; echo fine > /tmp/ok; sleep 2; rm /tmp/ok; sleep 600")
		if h := health(t, docker, "hc"); h.Status != "starting" {
			t.Fatalf("at start: %+v", h)
		}
		if ps := mustDocker(t, docker, "ps", "--filter", "name=hc", "--format", "{{.Status}}"); !strings.HasSuffix(ps, "(health: starting)") {
			t.Fatalf("ps: %q", ps)
		}
		waitFor(t, func() bool { return health(t, docker, "hc").Status == "healthy" })
		h := health(t, docker, "hc")
		if last := h.Log[len(h.Log)-1]; last.ExitCode != 0 || last.Output != "fine\n" {
			t.Fatalf("log: %+v", h.Log)
		}
		if ps := mustDocker(t, docker, "ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(ps, "hc Up") || !strings.HasSuffix(ps, "(healthy)") {
			t.Fatalf("ps: %q", ps)
		}
		waitFor(t, func() bool { return health(t, docker, "hc").Status == "unhealthy" })
		h = health(t, docker, "hc")
		if h.FailingStreak < 2 || len(h.Log) > 5 || h.Log[len(h.Log)-1].ExitCode == 0 {
			t.Fatalf("unhealthy: %+v", h)
		}
		got := mustDocker(t, docker, "events", "--since", since, "--until", nowStamp(), "--filter", "event=health_status", "--format", "{{.Action}}")
		if got != "health_status: healthy\nhealth_status: unhealthy" {
			t.Fatalf("events %q", got)
		}
		// Probes stop with the container.
		mustDocker(t, docker, "stop", "-t", "0", "hc")
		n := len(health(t, docker, "hc").Log)
		streak := health(t, docker, "hc").FailingStreak
		time.Sleep(600 * time.Millisecond)
		if h := health(t, docker, "hc"); h.FailingStreak != streak || len(h.Log) != n {
			t.Fatalf("probes ran after stop: %+v", h)
		}
		mustDocker(t, docker, "rm", "hc")
	})
	t.Run("timeout", func(t *testing.T) {
		mustDocker(t, docker, "run", "-d", "--name", "hto", "--health-cmd", "sleep 5", "--health-interval", "100ms",
			"--health-timeout", "200ms", "--health-retries", "1", "busybox", "sleep", "600")
		waitFor(t, func() bool { return health(t, docker, "hto").Status == "unhealthy" })
		h := health(t, docker, "hto")
		if h.Log[0].ExitCode != -1 || !strings.Contains(h.Log[0].Output, "Health check exceeded timeout (200ms)") {
			t.Fatalf("%+v", h.Log)
		}
		mustDocker(t, docker, "rm", "-f", "hto")
	})
	t.Run("no-healthcheck and validation", func(t *testing.T) {
		mustDocker(t, docker, "create", "--name", "nohc", "--no-healthcheck", "busybox", "true")
		if got := inspect(t, docker, "nohc", "{{json .Config.Healthcheck.Test}}"); got != `["NONE"]` {
			t.Fatalf("%s", got)
		}
		mustDocker(t, docker, "rm", "nohc")
		if _, errOut, code := docker("run", "--health-interval", "1us", "busybox", "true"); code != 125 || !strings.Contains(errOut, "Interval in Healthcheck cannot be less than 1ms") {
			t.Fatalf("exit %d %s", code, errOut)
		}
	})
	t.Run("resumes after daemon restart", func(t *testing.T) {
		mustDocker(t, docker, "run", "-d", "--name", "hcr", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "600")
		waitFor(t, func() bool { return health(t, docker, "hcr").Status == "healthy" })
		d.Kill(t)
		d.Start(t)
		before := health(t, docker, "hcr")
		if before.Status != "healthy" {
			t.Fatalf("after daemon restart: %+v", before)
		}
		waitFor(t, func() bool {
			h := health(t, docker, "hcr")
			return len(h.Log) == 5
		})
		mustDocker(t, docker, "rm", "-f", "hcr")
	})
	t.Run("restart on unhealthy", func(t *testing.T) {
		since := nowStamp()
		mustDocker(t, docker, "run", "-d", "--name", "hcu", "--stop-timeout", "1", "-l", "berth.restart-on-unhealthy=true", "--health-cmd", "false",
			"--health-interval", "100ms", "--health-retries", "1", "busybox", "sleep", "600")
		waitFor(t, func() bool {
			n, _ := strconv.Atoi(inspect(t, docker, "hcu", "{{.RestartCount}}"))
			return n >= 2
		})
		got := mustDocker(t, docker, "events", "--since", since, "--until", nowStamp(), "--filter", "container=hcu", "--format", "{{.Action}}")
		if !strings.Contains(got, "health_status: unhealthy\nkill\ndie\nstart") {
			t.Fatalf("events %q", got)
		}
		mustDocker(t, docker, "rm", "-f", "hcu")
	})
}

// TestWaitAndStop: `berth wait --condition`, `stop -t` and STOPSIGNAL.
func TestWaitAndStop(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := dockerOn(t, d)
	berth := func(args ...string) (string, string, int) { return d.Run(t, "", d.Binary, args...) }
	t.Run("wait conditions", func(t *testing.T) {
		mustDocker(t, docker, "run", "-d", "--name", "w1", "busybox", "sleep", "600")
		done := make(chan string, 1)
		go func() {
			out, _, _ := berth("wait", "--condition", "next-exit", "w1")
			done <- strings.TrimSpace(out)
		}()
		time.Sleep(300 * time.Millisecond)
		mustDocker(t, docker, "kill", "w1")
		select {
		case out := <-done:
			if out != "137" {
				t.Fatalf("wait: %q", out)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("wait did not return")
		}
		if out, _, code := berth("wait", "--condition", "not-running", "w1"); code != 0 || strings.TrimSpace(out) != "137" {
			t.Fatalf("not-running on a stopped container: %d %q", code, out)
		}
		go func() {
			out, _, _ := berth("wait", "--condition", "removed", "w1")
			done <- strings.TrimSpace(out)
		}()
		time.Sleep(300 * time.Millisecond)
		mustDocker(t, docker, "rm", "w1")
		select {
		case out := <-done:
			if out != "137" {
				t.Fatalf("wait removed: %q", out)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("wait removed did not return")
		}
		mustDocker(t, docker, "create", "--name", "w2", "busybox", "true")
		if _, errOut, code := berth("wait", "--condition", "bogus", "w2"); code == 0 || !strings.Contains(errOut, "invalid condition") {
			t.Fatalf("bogus: %d %s", code, errOut)
		}
		mustDocker(t, docker, "rm", "w2")
	})
	t.Run("stop -t escalates to SIGKILL", func(t *testing.T) {
		since := nowStamp()
		mustDocker(t, docker, "run", "-d", "--name", "s1", "busybox", "sleep", "600") // pid 1 ignores SIGTERM
		t0 := time.Now()
		mustDocker(t, docker, "stop", "-t", "1", "s1")
		if el := time.Since(t0); el < time.Second || el > 5*time.Second {
			t.Fatalf("stop took %v", el)
		}
		if got := inspect(t, docker, "s1", "{{.State.ExitCode}}"); got != "137" {
			t.Fatalf("exit %s", got)
		}
		got := mustDocker(t, docker, "events", "--since", since, "--until", nowStamp(), "--filter", "container=s1", "--format", "{{.Action}} {{.Actor.Attributes.signal}}")
		if !strings.Contains(got, "kill 15\ndie <no value>\nstop") {
			t.Fatalf("events %q", got)
		}
		mustDocker(t, docker, "rm", "s1")
	})
	t.Run("STOPSIGNAL", func(t *testing.T) {
		mustDocker(t, docker, "run", "-d", "--name", "s2", "--stop-signal", "USR1", "busybox", "sh", "-c",
			`trap "exit 42" USR1; while :; do sleep 0.1; done`)
		time.Sleep(300 * time.Millisecond)
		t0 := time.Now()
		mustDocker(t, docker, "stop", "s2")
		if el := time.Since(t0); el > 5*time.Second {
			t.Fatalf("stop took %v", el)
		}
		if got := inspect(t, docker, "s2", "{{.State.ExitCode}}"); got != "42" {
			t.Fatalf("exit %s", got)
		}
		mustDocker(t, docker, "rm", "s2")
	})
}
