package cgroup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
)

func TestOOMState(t *testing.T) {
	root := t.TempDir()
	testutil.WriteFiles(t, root, map[string]string{
		"memory/b/v1/memory.oom_control": "oom_kill_disable 1\nunder_oom 1\noom_kill 0\n",
		"b/v2/memory.events":             "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n",
	})
	tests := []struct {
		name string
		c    Cgroup
		want OOMState
	}{
		{"v1 stalled", Cgroup{path: "/b/v1", root: root}, OOMState{KillDisabled: true, UnderOOM: true}},
		{"v2 kills", Cgroup{path: "/b/v2", root: root, v2: true}, OOMState{Kills: 2}},
	}
	for _, tt := range tests {
		got, err := tt.c.OOM()
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v %v, want %+v", tt.name, got, err, tt.want)
		}
	}
	if _, err := (Cgroup{path: "/b/gone", root: root}).OOM(); !IsNotExist(err) {
		t.Errorf("missing cgroup: %v", err)
	}
}

// TestNotifyOOM fills a real v1 memory cgroup with the OOM killer enabled
// and disabled: the notifier fires, the kill is counted, the stall seen.
func TestNotifyOOM(t *testing.T) {
	testutil.RequiresRoot(t)
	if Unified() {
		t.Skip("oom_kill_disable is cgroup v1 only; v2 notification is covered by the integration tests")
	}
	busybox := testutil.BusyboxPath(t)
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("kill-disabled=%v", disable), func(t *testing.T) {
			c := tempMemoryCgroup(t, disable)
			n, err := c.NotifyOOM()
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			if err := n.Wait(50 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("wait before any oom: %v", err)
			}
			// The shell grows a string in user space: with the killer
			// disabled, only user page faults stall (kernel-side charges
			// such as read(2) into a buffer fail with ENOMEM instead).
			hog := startIn(t, c, busybox, "sh", "-c", "x=0123456789; while :; do x=$x$x; done")
			if err := n.Wait(20 * time.Second); err != nil {
				t.Fatalf("no oom notification: %v", err)
			}
			var st OOMState
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				if st, err = c.OOM(); err != nil || st.Kills > 0 || st.UnderOOM {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil || st.KillDisabled != disable || st.UnderOOM != disable || (st.Kills > 0) == disable {
				t.Fatalf("state %+v %v (kill disabled %v)", st, err, disable)
			}
			if disable {
				_ = hog.Process.Signal(syscall.SIGKILL)
			}
			_ = hog.Wait()
		})
	}
	t.Run("close wakes wait", func(t *testing.T) {
		n, err := tempMemoryCgroup(t, false).NotifyOOM()
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(50*time.Millisecond, func() { n.Close() })
		if err := n.Wait(0); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("wait after close: %v", err)
		}
	})
}

// tempMemoryCgroup makes a 16 MiB memory cgroup (no swap) for t.
func tempMemoryCgroup(t *testing.T, disableKiller bool) Cgroup {
	t.Helper()
	rel := fmt.Sprintf("/berth-cgtest-%d-%d", os.Getpid(), time.Now().UnixNano())
	c := Load(rel)
	dir := filepath.Join(Root, "memory", rel)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("no v1 memory cgroup: %v", err)
	}
	t.Cleanup(func() { removeCgroup(t, dir) })
	write := func(name, v string, optional bool) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0); err != nil && !(optional && errors.Is(err, os.ErrNotExist)) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	write("memory.limit_in_bytes", "16777216", false)
	write("memory.memsw.limit_in_bytes", "16777216", true)
	if disableKiller {
		write("memory.oom_control", "1", false)
	}
	return c
}

// startIn runs busybox applet args in c; the process is killed at cleanup.
func startIn(t *testing.T, c Cgroup, busybox string, args ...string) *exec.Cmd {
	t.Helper()
	procs := c.File("memory", "cgroup.procs")
	cmd := exec.Command(busybox, "sh", "-c", `echo $$ > "$0" && exec "$@"`, procs, busybox)
	cmd.Args = append(cmd.Args, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_, _ = cmd.Process.Wait()
	})
	return cmd
}

func removeCgroup(t *testing.T, dir string) {
	var err error
	for i := 0; i < 50; i++ {
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("remove %s: %v", dir, err)
}

// TestNotifyOOMV2 checks the v2 mechanism (inotify on memory.events) on
// plain files: a modification wakes Wait.
func TestNotifyOOMV2(t *testing.T) {
	root := t.TempDir()
	testutil.WriteFiles(t, root, map[string]string{"b/c/memory.events": "oom 0\noom_kill 0\n"})
	c := Cgroup{path: "/b/c", root: root, v2: true}
	n, err := c.NotifyOOM()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Wait(50 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("wait before a change: %v", err)
	}
	testutil.WriteFiles(t, root, map[string]string{"b/c/memory.events": "oom 1\noom_kill 1\n"})
	if err := n.Wait(5 * time.Second); err != nil {
		t.Fatalf("no notification: %v", err)
	}
	if st, err := c.OOM(); err != nil || st.Kills != 1 {
		t.Fatalf("state %+v %v", st, err)
	}
	if _, err := (Cgroup{path: "/b/gone", root: root, v2: true}).NotifyOOM(); !IsNotExist(err) {
		t.Errorf("missing cgroup: %v", err)
	}
}
