// Package container holds black-box tests of the container lifecycle: a
// real daemon on a temp root, real runc containers, driven through the Go
// client, the berth CLI and the real docker CLI.
package container

import (
	"os"
	"os/exec"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

const dockerCLI = "/usr/local/bin/docker"

// newDaemon starts a daemon with busybox:latest imported.
func newDaemon(t *testing.T) *daemon.Daemon {
	t.Helper()
	d := daemon.New(t)
	d.Start(t)
	d.ImportBusybox(t)
	return d
}

func requireDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(dockerCLI); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker CLI missing at %s", dockerCLI)
		}
		t.Skip("docker CLI not installed")
	}
}
