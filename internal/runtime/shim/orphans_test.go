package shim

import (
	"os"
	"path/filepath"
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
	hp, op := start(helper), start(other)
	t.Cleanup(func() { _, _ = unix.Wait4(op, nil, unix.WNOHANG, nil) })
	waitZombie(t, hp)
	waitZombie(t, op)
	reapRuntimeOrphans()
	if _, _, ok := procStat(hp); ok {
		t.Error("runc helper zombie not reaped")
	}
	if _, state, ok := procStat(op); !ok || state != 'Z' {
		t.Error("a child that is not a runc helper was reaped")
	}
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
