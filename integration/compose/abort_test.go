package compose

import (
	"os/exec"
	"strings"
	"testing"
)

// TestComposeUpAbortOnExit: an attached up with
// --abort-on-container-exit/-failure stops every container when the first
// one exits and exits with its code; --exit-code-from picks the service
// whose code up returns.
func TestComposeUpAbortOnExit(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	dir := caseDir(t, "abort")
	t.Cleanup(func() { run(t, d, dir, nil, d.Binary, "compose", "-p", "ab", "down") })
	for _, tc := range []struct {
		args []string
		code int
	}{
		{args: []string{"--abort-on-container-exit"}, code: 3},
		{args: []string{"--abort-on-container-failure"}, code: 3},
		{args: []string{"--exit-code-from", "tests"}, code: 3},
		{args: []string{"--exit-code-from", "server"}, code: 137}, // stopped by the cascade (SIGKILL)
	} {
		r := run(t, d, dir, nil, d.Binary, append([]string{"compose", "-p", "ab", "up"}, tc.args...)...)
		if r.code != tc.code {
			t.Errorf("up %v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, r.code, tc.code, r.out, r.err)
		}
		if !strings.Contains(r.out, "ab-tests-1  | tests-ran") || !strings.Contains(r.out, "ab-tests-1 exited with code 3") {
			t.Errorf("up %v output:\n%s", tc.args, r.out)
		}
		for name, ctr := range byName(projectContainers(t, c, "ab")) {
			if ctr.State != "exited" {
				t.Errorf("up %v: %s is %s after the cascade", tc.args, name, ctr.State)
			}
		}
	}
	for _, args := range [][]string{{"-d", "--abort-on-container-exit"}, {"--exit-code-from", "nosuch"},
		{"--abort-on-container-exit", "--abort-on-container-failure"}} {
		composeFail(t, d, dir, nil, append([]string{"-p", "ab", "up"}, args...)...)
	}
	compose(t, d, dir, nil, "-p", "ab", "down")
	assertGone(t, c, "ab")
}

// TestDockerComposeV1UpExitCodeFrom: docker-compose v1's
// --exit-code-from (which follows the containers through attach and the
// events API) against Berth.
func TestDockerComposeV1UpExitCodeFrom(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	dir := caseDir(t, "abort")
	t.Cleanup(func() { run(t, d, dir, nil, dockerCompose, "-p", "v1ab", "down") })
	r := run(t, d, dir, nil, dockerCompose, "-p", "v1ab", "up", "--exit-code-from", "tests")
	if r.code != 3 || !strings.Contains(r.out, "tests-ran") {
		t.Errorf("docker-compose up --exit-code-from tests: exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	dc(t, d, dir, nil, "-p", "v1ab", "down")
	assertGone(t, d.Client(t), "v1ab")
}
