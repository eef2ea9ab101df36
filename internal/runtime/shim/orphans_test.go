package shim

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReapRuntimeOrphans: a dead child named like runc's helpers is
// reaped; any other dead child (an os/exec command whose Wait is pending)
// is left for its owner.
func TestReapRuntimeOrphans(t *testing.T) {
	dir := t.TempDir()
	helper := filepath.Join(dir, "runc:[2:INIT]")
	other := filepath.Join(dir, "runc")
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true")
	}
	for _, p := range []string{helper, other} {
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := func(path string) int {
		p, err := os.StartProcess(path, []string{path}, &os.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		return p.Pid
	}
	reapAndCheck(t, start(helper), start(other))
}

func waitZombie(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, state, ok := procStat(pid); ok && state == 'Z' {
			return
		}
	}
	t.Fatalf("pid %d did not become a zombie", pid)
}

// TestReapCrunOrphans: crun's helpers share the CLI's comm "crun"; a dead
// one inside another PID namespace (the container's) is reaped, a dead
// "crun" in the shim's own namespace (the CLI, whose Wait is pending) is not.
func TestReapCrunOrphans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true")
	}
	path := filepath.Join(t.TempDir(), "crun")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(flags uintptr) int {
		p, err := os.StartProcess(path, []string{path}, &os.ProcAttr{Sys: &syscall.SysProcAttr{Cloneflags: flags}})
		if err != nil {
			t.Fatal(err)
		}
		return p.Pid
	}
	reapAndCheck(t, start(syscall.CLONE_NEWPID), start(0))
}

// reapAndCheck lets both children die, reaps the runtime's orphans and
// checks that helper was reaped and other (an os/exec command whose Wait
// is pending) was left for its owner.
func reapAndCheck(t *testing.T, helper, other int) {
	t.Helper()
	t.Cleanup(func() { _, _ = unix.Wait4(other, nil, unix.WNOHANG, nil) })
	waitZombie(t, helper)
	waitZombie(t, other)
	reapRuntimeOrphans()
	if _, _, ok := procStat(helper); ok {
		t.Error("the runtime helper's zombie was not reaped")
	}
	if _, state, ok := procStat(other); !ok || state != 'Z' {
		t.Error("a child that is not a runtime helper was reaped")
	}
}

// TestHasZombieChild: a dead, unreaped child is seen, and seeing it does
// not reap it.
func TestHasZombieChild(t *testing.T) {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("no /bin/true")
	}
	waitZombie(t, p.Pid)
	if !hasZombieChild() {
		t.Error("a zombie child was not seen")
	}
	if _, state, ok := procStat(p.Pid); !ok || state != 'Z' {
		t.Error("the zombie was reaped by the check")
	}
	_, _ = p.Wait()
}
