// Package build holds black-box tests of the builder: the real docker CLI
// (DOCKER_BUILDKIT=0, the classic builder API) against a Berth daemon.
package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

const dockerCLI = "/usr/local/bin/docker"

func newDaemon(t *testing.T) *daemon.Daemon {
	t.Helper()
	requireDocker(t)
	d := daemon.New(t)
	d.Start(t)
	d.ImportBusybox(t)
	return d
}

func requireDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(dockerCLI); err != nil {
		t.Skip("docker CLI not installed")
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

// dockerFail runs the docker CLI expecting it to fail; it returns stdout
// and stderr together.
func dockerFail(t *testing.T, d *daemon.Daemon, args ...string) string {
	t.Helper()
	out, errOut, code := d.Run(t, "", dockerCLI, args...)
	if code == 0 {
		t.Fatalf("docker %s succeeded, want failure\nstdout: %s", strings.Join(args, " "), out)
	}
	return out + errOut
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// writeContext writes files (name → content) into a new context dir.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
