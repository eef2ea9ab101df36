package container

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// tmpfsDev returns the device of dir, which must be on a tmpfs.
func tmpfsDev(t *testing.T, dir string) uint64 {
	t.Helper()
	var fs unix.Statfs_t
	var st unix.Stat_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type != unix.TMPFS_MAGIC {
		t.Fatalf("%s is not on a tmpfs (type %#x)", dir, fs.Type)
	}
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Dev
}

// TestDaemonKillRestart: SIGKILL the daemon; running containers keep
// running and logging; a container that exits while the daemon is down
// reports its real exit code; ps/logs/stop/wait work afterwards.
func TestDaemonKillRestart(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := func(args ...string) (string, string, int) { return d.Run(t, "", dockerCLI, args...) }
	if _, e, code := docker("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done"); code != 0 {
		t.Fatal(e)
	}
	if _, e, code := docker("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 1; echo bye; exit 7"); code != 0 {
		t.Fatal(e)
	}
	pid, _, _ := docker("inspect", "-f", "{{.State.Pid}}", "ticker")
	// The exec root is on a tmpfs of the daemon's own (the test's is on a
	// disk), and the restarted daemon keeps that one: it holds the
	// running container's shim socket.
	execRootDev := tmpfsDev(t, d.ExecRoot)
	d.Kill(t)
	time.Sleep(1500 * time.Millisecond) // "short" exits meanwhile; "ticker" keeps logging
	d.Start(t)
	out, _, _ := docker("ps", "--format", "{{.Names}}")
	if strings.TrimSpace(out) != "ticker" {
		t.Fatalf("ps after restart: %q", out)
	}
	if dev := tmpfsDev(t, d.ExecRoot); dev != execRootDev {
		t.Fatalf("exec root remounted across the restart (device %d -> %d)", execRootDev, dev)
	}
	pid2, _, _ := docker("inspect", "-f", "{{.State.Pid}}", "ticker")
	if pid != pid2 {
		t.Fatalf("pid changed %q -> %q", pid, pid2)
	}
	out, _, _ = docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "short")
	if out != "exited 7\n" {
		t.Fatalf("short: %q", out)
	}
	if out, _, _ := docker("logs", "short"); out != "bye\n" {
		t.Fatalf("short logs %q", out)
	}
	logs, _, _ := docker("logs", "ticker")
	n := strings.Count(logs, "tick")
	if n < 12 {
		t.Fatalf("ticker logged only %d lines across the restart", n)
	}
	// Waits and stops work on the reconnected container.
	c := d.Client(t)
	wait := c.ContainerWait(context.Background(), "ticker", client.ContainerWaitOptions{})
	if _, e, code := docker("stop", "-t", "1", "ticker"); code != 0 {
		t.Fatal(e)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 137 {
			t.Fatalf("wait: %d", res.StatusCode)
		}
	case err := <-wait.Error:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("wait timed out")
	}
	docker("rm", "ticker", "short")
}
