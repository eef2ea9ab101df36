// Package volume holds black-box tests of volumes and mounts: a real daemon
// on a temp root driven through the real docker CLI.
package volume

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/berth-engine/berth/internal/testutil/daemon"
)

const dockerCLI = "/usr/local/bin/docker"

func requireDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(dockerCLI); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker CLI missing at %s", dockerCLI)
		}
		t.Skip("docker CLI not installed")
	}
}

// env is a daemon with busybox imported and a docker CLI runner.
type env struct {
	t *testing.T
	d *daemon.Daemon
}

func newEnv(t *testing.T) *env {
	t.Helper()
	requireDocker(t)
	d := daemon.New(t)
	d.Start(t)
	d.ImportBusybox(t)
	return &env{t: t, d: d}
}

// docker runs the docker CLI; stdin may be "".
func (e *env) docker(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return e.d.Run(t, stdin, dockerCLI, args...)
}

// ok runs the docker CLI and fails the test unless it succeeds.
func (e *env) ok(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := e.docker(t, "", args...)
	if code != 0 {
		t.Fatalf("docker %v: code %d out %q err %q", args, code, out, errOut)
	}
	return out
}

// fails runs the docker CLI, expects a failure whose stderr contains msg.
func (e *env) fails(t *testing.T, msg string, args ...string) {
	t.Helper()
	out, errOut, code := e.docker(t, "", args...)
	if code == 0 || !strings.Contains(errOut, msg) {
		t.Fatalf("docker %v: code %d out %q err %q, want failure with %q", args, code, out, errOut, msg)
	}
}

// importImage imports busybox plus extra entries as name, with changes
// (docker import -c).
func (e *env) importImage(t *testing.T, name string, extra []tar.Header, data map[string]string, changes ...string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(testutil.BusyboxTar(t)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range extra {
		h.Size = int64(len(data[h.Name]))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data[h.Name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "-c", c)
	}
	args = append(args, "-", name)
	if out, errOut, code := e.docker(t, buf.String(), args...); code != 0 {
		t.Fatalf("import: code %d out %q err %q", code, out, errOut)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}
