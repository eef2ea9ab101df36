package bridge

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// netnsEnv marks the re-executed test binary that runs in its own network
// and mount namespaces.
const netnsEnv = "BERTH_BRIDGE_TEST_NETNS"

// TestMain re-executes the tests as root under `unshare --net --mount` so
// that nothing they do (bridges, veths, nftables, sysctls, netns mounts)
// can reach the host's namespaces.
func TestMain(m *testing.M) {
	if os.Getenv(netnsEnv) == "" && os.Geteuid() == 0 {
		if _, err := exec.LookPath("unshare"); err == nil {
			os.Exit(reexec())
		}
	}
	os.Exit(m.Run())
}

func reexec() int {
	args := append([]string{"--net", "--mount", "--propagation", "private", "--", os.Args[0]}, os.Args[1:]...)
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "re-exec under unshare:", err)
		return 1
	}
	return 0
}

// requireTestNetNS skips t unless it runs in the private namespaces.
func requireTestNetNS(t *testing.T) {
	t.Helper()
	if outsideTestNetNS() {
		t.Skip("needs root and unshare(1): runs only in a private network namespace")
	}
}

// outsideTestNetNS reports whether root-only tests must skip: they run only in
// the re-executed binary inside private namespaces.
func outsideTestNetNS() bool { return os.Getenv(netnsEnv) != "1" }
