package pid1

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets the test binary act as the init: BERTH_PID1_TEST=1 runs
// Main with the process's arguments.
func TestMain(m *testing.M) {
	if os.Getenv("BERTH_PID1_TEST") == "1" {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func runInit(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), "BERTH_PID1_TEST=1")
	return cmd
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"sh", "-c", "exit 7"}, 7},
		{[]string{"sh", "-c", "kill -KILL $$"}, 137},
		{[]string{"true"}, 0},
		{[]string{"/nonexistent-command"}, 127},
	}
	for _, tt := range tests {
		err := runInit(t, tt.args...).Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tt.code {
			t.Errorf("%q: exit %d (%v), want %d", tt.args, code, err, tt.code)
		}
	}
}

func TestForwardsSignals(t *testing.T) {
	cmd := runInit(t, "sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	if line, err := r.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 3 || !strings.Contains(string(rest), "got-term") {
		t.Fatalf("err %v out %q", err, rest)
	}
}
