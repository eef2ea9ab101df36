package runtime

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
)

// TestStartCmdHidesUnified: the command runs without the cgroup2 mount,
// and the mount stays in place for the host (this process included).
func TestStartCmdHidesUnified(t *testing.T) {
	testutil.RequiresRoot(t)
	if !mounted(t, unifiedMount) {
		t.Skip("no cgroup2 mount at " + unifiedMount)
	}
	for _, hide := range []bool{true, false} {
		out, err := CombinedOutputCmd(exec.Command("cat", "/proc/self/mountinfo"), hide)
		if err != nil {
			t.Fatalf("hide=%v: %v: %s", hide, err, out)
		}
		if got := strings.Contains(string(out), " "+unifiedMount+" "); got == hide {
			t.Errorf("hide=%v: cgroup2 mount seen by the command: %v", hide, got)
		}
		if !mounted(t, unifiedMount) {
			t.Fatalf("hide=%v: the host lost its cgroup2 mount", hide)
		}
	}
	if err := RunCmd(exec.Command("false"), true); err == nil {
		t.Error("RunCmd: exit status of false not reported")
	}
	// Whatever thread the work lands on, the main one (whose namespace
	// /proc/self shows) keeps the host's mounts.
	for i := 0; i < 30; i++ {
		if err := RunCmd(exec.Command("true"), true); err != nil {
			t.Fatal(err)
		}
		if !mounted(t, unifiedMount) {
			t.Fatalf("round %d: /proc/self lost the cgroup2 mount", i)
		}
	}
}

func TestHidesUnified(t *testing.T) {
	if HidesUnified("/usr/bin/runc") {
		t.Error("runc needs no hidden cgroup2 mount")
	}
	for _, crun := range []string{"/usr/bin/crun", "/opt/berth/bin/berth-crun"} {
		if got, want := HidesUnified(crun), hybridWithControllers(); got != want {
			t.Errorf("%s: %v, want %v (hybrid host with cgroup2 controllers)", crun, got, want)
		}
	}
}

func mounted(t *testing.T, path string) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(data), " "+path+" ")
}
