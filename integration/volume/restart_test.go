package volume

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestTmpfsVolumeAcrossDaemonRestart: a volume with its own filesystem
// stays mounted across a daemon crash while a container still uses it,
// and is unmounted when its last user exits.
func TestTmpfsVolumeAcrossDaemonRestart(t *testing.T) {
	e := newEnv(t)
	e.ok(t, "volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "rv")
	e.ok(t, "run", "-d", "--name", "holder", "-v", "rv:/data", "busybox", "sh", "-c", "echo kept > /data/f; while true; do sleep 0.2; done")
	mp := strings.TrimSpace(e.ok(t, "volume", "inspect", "-f", "{{.Mountpoint}}", "rv"))
	waitFor(t, func() bool { _, err := os.Stat(mp + "/f"); return err == nil })
	e.d.Kill(t)
	e.d.Start(t)
	if out := e.ok(t, "run", "--rm", "-v", "rv:/data", "busybox", "cat", "/data/f"); out != "kept\n" {
		t.Fatalf("after restart and a second user: %q", out)
	}
	mounted := func() bool {
		data, _ := os.ReadFile("/proc/self/mountinfo")
		return strings.Contains(string(data), " "+mp+" ")
	}
	time.Sleep(300 * time.Millisecond) // let the second user's exit release its hold
	if !mounted() {
		t.Fatal("volume unmounted while holder still runs")
	}
	e.ok(t, "rm", "-f", "holder")
	waitFor(t, func() bool { return !mounted() })
	e.ok(t, "volume", "rm", "rv")
}
