package shim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/runtime"
)

// TestKillWaitsForPause: a kill that arrives while `runc pause` is still
// running must thaw the container once the pause is done, or the signal
// stays pending in a frozen cgroup. A fake runtime logs its verbs and
// takes 300 ms to pause.
func TestKillWaitsForPause(t *testing.T) {
	dir := t.TempDir()
	verbs := filepath.Join(dir, "verbs")
	fake := filepath.Join(dir, "runtime")
	script := "#!/bin/sh\n" +
		"verb=$3\n" + // --root <dir> <verb> <id>
		"[ \"$verb\" = pause ] && sleep 0.3\n" +
		"echo $verb >> " + verbs + "\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	proc := exec.Command("sleep", "30")
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.Process.Kill(); _ = proc.Wait() })
	s := newShim(runtime.StartOptions{ID: "c1", Runtime: fake, RuntimeRoot: dir})
	s.pid = proc.Process.Pid
	paused := make(chan error, 1)
	go func() { paused <- s.pause() }()
	time.Sleep(100 * time.Millisecond) // runc pause is under way
	if err := s.killThaw(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-paused; err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(verbs)
	if got := strings.Fields(string(data)); strings.Join(got, ",") != "pause,resume" || s.isPaused() {
		t.Errorf("runtime verbs %v, paused %v; want pause then resume", got, s.isPaused())
	}
}
