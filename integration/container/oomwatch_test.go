package container

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// memHog grows a shell string in user space until the memory limit: the
// OOM killer kills it, or, with the killer disabled, it stalls.
const memHog = "x=0123456789; while :; do x=$x$x; done"

// oomEvents lists the oom events of container name since since (a
// nowStamp), replayed with docker events --filter event=oom.
func oomEvents(t *testing.T, d *daemon.Daemon, name, since string) []string {
	t.Helper()
	out := mustDocker(t, dockerOn(t, d), "events", "--since", since, "--until", nowStamp(),
		"--filter", "event=oom", "--filter", "container="+name, "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// waitLong polls cond for up to d.
func waitLong(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

func requireV1Memory(t *testing.T) {
	t.Helper()
	if unifiedAtRoot() {
		t.Skip("--oom-kill-disable needs cgroup v1 (Docker ignores it on v2 with a warning)")
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.oom_control"); err != nil {
		t.Skipf("no v1 memory controller: %v", err)
	}
}

// TestOOMKillDisabledStalls: with --oom-kill-disable a container at its
// memory limit is not killed but stalls; Berth notices while it runs,
// emits an oom event and says so in State.Error (OOMKilled stays false:
// nothing was killed). The stall survives a daemon restart without a
// second event, ends when `docker update` raises the limit, and kill -9
// still ends the container.
func TestOOMKillDisabledStalls(t *testing.T) {
	requireDocker(t)
	requireV1Memory(t)
	d := newDaemon(t)
	since := nowStamp()
	// Grows to 40 MB, then sleeps: stalls under 32m, completes under 256m.
	hog := "x=0123456789; while [ ${#x} -lt 40000000 ]; do x=$x$x; done; echo grown; exec sleep 300"
	_, errOut, code := resDocker(t, d, "run", "-d", "--name", "stuck", "-m", "32m", "--memory-swap", "32m",
		"--oom-kill-disable", "busybox", "sh", "-c", hog)
	t.Cleanup(func() {
		resDocker(t, d, "kill", "-s", "KILL", "stuck")
		resDocker(t, d, "rm", "-f", "stuck")
	})
	if code != 0 {
		t.Fatalf("run: code %d err %q", code, errOut)
	}
	waitLong(t, 30*time.Second, "the oom event", func() bool { return len(oomEvents(t, d, "stuck", since)) > 0 })
	stalled := func(when string) {
		t.Helper()
		st := resInspect(t, d, "stuck").State
		if !st.Running || st.Status != "running" || st.OOMKilled || !strings.Contains(st.Error, "stalled") {
			t.Fatalf("%s: state %+v, want running, not OOMKilled, Error saying it is stalled", when, st)
		}
	}
	stalled("stall")
	if hc := resInspect(t, d, "stuck").HostConfig; hc.OomKillDisable == nil || !*hc.OomKillDisable {
		t.Errorf("HostConfig.OomKillDisable %v", hc.OomKillDisable)
	}
	if ev := oomEvents(t, d, "stuck", since); len(ev) != 1 || ev[0] != "oom stuck" {
		t.Errorf("oom events %q, want one", ev)
	}

	d.Kill(t)
	d.Start(t)
	restarted := nowStamp()
	time.Sleep(1500 * time.Millisecond)
	stalled("after a daemon restart")
	if ev := oomEvents(t, d, "stuck", restarted); len(ev) != 0 {
		t.Errorf("the restarted daemon reported the stall again: %q", ev)
	}

	mustDocker(t, dockerOn(t, d), "update", "-m", "256m", "--memory-swap", "256m", "stuck")
	waitLong(t, 20*time.Second, "the stall to end", func() bool {
		st := resInspect(t, d, "stuck").State
		return st.Running && st.Error == ""
	})
	waitLong(t, 10*time.Second, "the hog to finish", func() bool {
		out, _, _ := resDocker(t, d, "logs", "stuck")
		return strings.Contains(out, "grown")
	})

	mustDocker(t, dockerOn(t, d), "kill", "-s", "KILL", "stuck")
	waitLong(t, 20*time.Second, "the container to die", func() bool { return !resInspect(t, d, "stuck").State.Running })
	if st := resInspect(t, d, "stuck").State; st.ExitCode != 137 || st.OOMKilled || st.Error != "" {
		t.Fatalf("after kill -9: %+v, want exit 137, not OOMKilled, no error", st)
	}
}

// TestOOMKillDisabledStaysStuckUntilKilled: kill -9 ends a container
// stalled at its limit (the stalled tasks wait killably).
func TestOOMKillDisabledStaysStuckUntilKilled(t *testing.T) {
	requireDocker(t)
	requireV1Memory(t)
	d := newDaemon(t)
	since := nowStamp()
	_, errOut, code := resDocker(t, d, "run", "-d", "--name", "stuck2", "-m", "16m", "--memory-swap", "16m",
		"--oom-kill-disable", "busybox", "sh", "-c", memHog)
	t.Cleanup(func() {
		resDocker(t, d, "kill", "-s", "KILL", "stuck2")
		resDocker(t, d, "rm", "-f", "stuck2")
	})
	if code != 0 {
		t.Fatalf("run: code %d err %q", code, errOut)
	}
	waitLong(t, 30*time.Second, "the oom event", func() bool { return len(oomEvents(t, d, "stuck2", since)) > 0 })
	time.Sleep(time.Second)
	if st := resInspect(t, d, "stuck2").State; !st.Running || st.OOMKilled {
		t.Fatalf("state %+v, want still running (stuck), not OOMKilled", st)
	}
	mustDocker(t, dockerOn(t, d), "rm", "-f", "stuck2")
	if out, _, _ := resDocker(t, d, "ps", "-aq"); out != "" {
		t.Fatalf("rm -f left %q", out)
	}
}

// TestOOMKillChild: the OOM killer kills a child, not PID 1: the container
// keeps running, yet the kill is reported at once (oom event, OOMKilled),
// and OOMKilled stays set after the container exits (Docker ≥ 20.10).
func TestOOMKillChild(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	since := nowStamp()
	_, errOut, code := resDocker(t, d, "run", "-d", "--name", "oomchild", "-m", "32m", "--memory-swap", "32m", "busybox",
		"sh", "-c", "sh -c '"+memHog+"'; echo survived; exec sleep 300")
	t.Cleanup(func() { resDocker(t, d, "rm", "-f", "oomchild") })
	if code != 0 {
		t.Fatalf("run: code %d err %q", code, errOut)
	}
	waitLong(t, 30*time.Second, "the oom event", func() bool { return len(oomEvents(t, d, "oomchild", since)) > 0 })
	waitLong(t, 5*time.Second, "OOMKilled", func() bool { return resInspect(t, d, "oomchild").State.OOMKilled })
	if st := resInspect(t, d, "oomchild").State; !st.Running || st.Error != "" {
		t.Fatalf("state %+v, want still running", st)
	}
	waitLong(t, 5*time.Second, "the parent to go on", func() bool {
		out, _, _ := resDocker(t, d, "logs", "oomchild")
		return strings.Contains(out, "survived")
	})
	mustDocker(t, dockerOn(t, d), "kill", "oomchild")
	waitLong(t, 10*time.Second, "exit", func() bool { return !resInspect(t, d, "oomchild").State.Running })
	if st := resInspect(t, d, "oomchild").State; !st.OOMKilled || st.ExitCode != 137 {
		t.Fatalf("after exit: %+v, want OOMKilled", st)
	}
	if ev := oomEvents(t, d, "oomchild", since); len(ev) != 1 {
		t.Errorf("oom events %q, want exactly one", ev)
	}
}

// TestOOMKillInit: PID 1 itself is killed; the exit and the oom event are
// reported once (the watcher and the exit status must not both report it).
func TestOOMKillInit(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	since := nowStamp()
	_, errOut, code := resDocker(t, d, "run", "--name", "oominit", "-m", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", memHog)
	t.Cleanup(func() { resDocker(t, d, "rm", "-f", "oominit") })
	if code != 137 {
		t.Fatalf("run: code %d (want 137) err %q", code, errOut)
	}
	if st := resInspect(t, d, "oominit").State; !st.OOMKilled || st.ExitCode != 137 {
		t.Fatalf("state %+v, want OOMKilled", st)
	}
	time.Sleep(200 * time.Millisecond)
	got := mustDocker(t, dockerOn(t, d), "events", "--since", since, "--until", nowStamp(),
		"--filter", "container=oominit", "--filter", "event=oom", "--filter", "event=die", "--format", "{{.Action}}")
	if got != "oom\ndie" {
		t.Errorf("events %q, want one oom before die", got)
	}
}
