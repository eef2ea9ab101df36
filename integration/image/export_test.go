package image

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestExportImport: docker export of a stopped and of a running container,
// import of the tarball, and the same through the native storage driver.
func TestExportImport(t *testing.T) {
	requireTool(t, dockerCLI)
	d := newDaemon(t)
	exportImport(t, d)
}

func TestCommitExportNative(t *testing.T) {
	requireTool(t, dockerCLI)
	d := daemon.New(t)
	d.Start(t, "--storage-driver", "native")
	d.ImportBusybox(t)
	exportImport(t, d)
	name := "native-commit"
	docker(t, d, "run", "--name", name, "busybox", "sh", "-c", "echo n > /n && rm /bin/ls")
	docker(t, d, "commit", name, "nativecommit")
	out, _, code := d.Run(t, "", dockerCLI, "run", "--rm", "nativecommit", "sh", "-c", "test -e /bin/ls && echo ls; cat /n")
	if code != 0 || strings.TrimSpace(out) != "n" {
		t.Errorf("native commit: exit %d %q", code, out)
	}
	if n := len(layerNames(t, d, "nativecommit")); n > 10 {
		t.Errorf("native commit layer has %d entries, want only the changes: %v", n, layerNames(t, d, "nativecommit"))
	}
}

func exportImport(t *testing.T, d *daemon.Daemon) {
	t.Helper()
	dir := t.TempDir()
	name := "export-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	docker(t, d, "run", "--name", name, "busybox", "sh", "-c", "echo exported > /marker && rm /bin/ls")
	archive := filepath.Join(dir, "fs.tar")
	docker(t, d, "export", "-o", archive, name)
	docker(t, d, "import", archive, "imported:v1")
	out, _, code := d.Run(t, "", dockerCLI, "run", "--rm", "imported:v1", "sh", "-c", "test -e /bin/ls && echo ls; cat /marker")
	if code != 0 || strings.TrimSpace(out) != "exported" {
		t.Errorf("imported export: exit %d %q", code, out)
	}
	// A running container exports too, and keeps running.
	run := name + "-run"
	docker(t, d, "run", "-d", "--name", run, "busybox", "sh", "-c", "echo live > /live; sleep 300")
	t.Cleanup(func() { d.Run(t, "", dockerCLI, "rm", "-f", run) })
	waitFor(t, func() bool {
		o, _, c := d.Run(t, "", dockerCLI, "exec", run, "cat", "/live")
		return c == 0 && strings.TrimSpace(o) == "live"
	})
	out = docker(t, d, "export", run)
	if !strings.Contains(out, "live\n") || !strings.Contains(out, "bin/busybox") {
		t.Errorf("export of a running container lacks its files (%d bytes)", len(out))
	}
	if _, errOut, code := d.Run(t, "", dockerCLI, "export", "-o", filepath.Join(dir, "x.tar"), "nosuch"); code == 0 || !strings.Contains(errOut, "No such container") {
		t.Errorf("export of unknown container: exit %d %s", code, errOut)
	}
}
