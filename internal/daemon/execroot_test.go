package daemon

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// mountsAt counts the mounts stacked on dir.
func mountsAt(t *testing.T, dir string) int {
	t.Helper()
	ms, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) { return m.Mountpoint != dir, false })
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

// diskDir returns a fresh directory that is not on a tmpfs, with every
// mount on or under it taken off at the end.
func diskDir(t *testing.T) string {
	t.Helper()
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	if execRootFS(dir) {
		t.Skip("the test directory is on a tmpfs already")
	}
	t.Cleanup(func() {
		for mountsAt(t, dir) > 0 {
			if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
				t.Error(err)
				return
			}
		}
	})
	return dir
}

// shimSocket listens on dir/s/name as a shim would.
func shimSocket(t *testing.T, dir, name string) *net.UnixListener {
	t.Helper()
	sock := filepath.Join(dir, "s", name)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	return l.(*net.UnixListener)
}

func TestMountExecRoot(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Run("on disk, empty", func(t *testing.T) {
		dir := diskDir(t)
		if !mountExecRoot(dir, log) || !execRootFS(dir) || mountsAt(t, dir) != 1 {
			t.Fatalf("want one tmpfs on %s", dir)
		}
		// A second daemon start keeps the tmpfs, and what is in it.
		if err := os.WriteFile(filepath.Join(dir, "state"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if !mountExecRoot(dir, log) {
			t.Fatal("the tmpfs from before is not recognised as the daemon's")
		}
		if n := mountsAt(t, dir); n != 1 {
			t.Fatalf("%d mounts stacked on %s", n, dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "state")); err != nil {
			t.Fatal(err)
		}
		// A daemon stopping while a container runs keeps it; the last one
		// to stop takes it off, with the mounts under it.
		l := shimSocket(t, dir, "live.sock")
		unmountExecRoot(dir, log)
		if !execRootFS(dir) {
			t.Fatal("the tmpfs went while a shim answered")
		}
		_ = l.Close()
		ctx := filepath.Join(dir, "build-contexts")
		if err := os.Mkdir(ctx, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", ctx, "tmpfs", 0, ""); err != nil {
			t.Fatal(err)
		}
		unmountExecRoot(dir, log)
		if n := mountsAt(t, dir); n != 0 || len(mountsUnder(dir)) != 0 {
			t.Fatalf("%d mounts left on %s, %v under it", n, dir, mountsUnder(dir))
		}
	})
	t.Run("a tmpfs of the system's", func(t *testing.T) {
		dir := diskDir(t)
		if err := unix.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
			t.Fatal(err)
		}
		if mountExecRoot(dir, log) {
			t.Fatal("a tmpfs the daemon did not mount taken for its own")
		}
		unmountExecRoot(dir, log)
		if mountsAt(t, dir) != 1 {
			t.Fatal("a tmpfs the daemon did not mount was taken off")
		}
	})
	t.Run("stale shim socket", func(t *testing.T) {
		dir := diskDir(t)
		l := shimSocket(t, dir, "dead.sock")
		l.SetUnlinkOnClose(false)
		_ = l.Close() // the file stays, nobody answers
		mountExecRoot(dir, log)
		if !execRootFS(dir) {
			t.Fatal("a dead shim's socket kept the exec root on disk")
		}
	})
	t.Run("live shim", func(t *testing.T) {
		dir := diskDir(t)
		defer shimSocket(t, dir, "live.sock").Close()
		mountExecRoot(dir, log)
		if execRootFS(dir) {
			t.Fatal("a running container's exec root was covered")
		}
	})
	t.Run("mount under it", func(t *testing.T) {
		dir := diskDir(t)
		ns := filepath.Join(dir, "netns", "x")
		if err := os.MkdirAll(ns, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", ns, "tmpfs", 0, ""); err != nil {
			t.Fatal(err)
		}
		defer unix.Unmount(ns, unix.MNT_DETACH)
		mountExecRoot(dir, log)
		if execRootFS(dir) {
			t.Fatal("a mount from before was covered")
		}
	})
}
