// Package image holds black-box tests of image distribution: pull, push,
// login, save/load and history through the real docker CLI against a
// Berth daemon and Debian's docker-registry on 127.0.0.1, with skopeo
// checking that the archive formats are the real ones.
package image

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

const dockerCLI = "/usr/local/bin/docker"

func newDaemon(t *testing.T) *daemon.Daemon {
	t.Helper()
	d := daemon.New(t)
	d.Start(t)
	d.ImportBusybox(t)
	return d
}

func requireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing", path)
		}
		t.Skipf("%s not installed", path)
	}
}

// docker runs the docker CLI against d and fails t on a non-zero exit.
func docker(t *testing.T, d *daemon.Daemon, args ...string) string {
	t.Helper()
	out, errOut, code := d.Run(t, "", dockerCLI, args...)
	if code != 0 {
		t.Fatalf("docker %s: exit %d\nstdout: %s\nstderr: %s\ndaemon log:\n%s", strings.Join(args, " "), code, out, errOut, tail(d.Log(), 3000))
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
