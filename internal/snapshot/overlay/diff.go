package overlay

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// Diff writes key's changes as a layer tar: its upper directory, overlay
// whiteouts and opaque directories turned into .wh. entries. skip leaves
// out names (see archive.TarFiltered).
func (s *Snapshotter) Diff(ctx context.Context, key, parent string, w io.Writer, skip func(name string) bool) error {
	dir, err := s.keyDir(key)
	if err != nil {
		return err
	}
	upper := filepath.Join(dir, "upper")
	if _, err := os.Stat(upper); err != nil {
		return fmt.Errorf("snapshot %s: %w", key, errdefs.ErrNotFound)
	}
	return archive.TarFiltered(ctx, upper, w, skip)
}

// Export writes key's whole filesystem (parent's layers with key's changes
// on top) as a tar stream. It mounts a read-only overlay of upper and the
// lowers in a private mount namespace on a thread of its own, so nothing
// is visible to the host and a crash leaves no mount behind; the
// container's own mount is never touched.
func (s *Snapshotter) Export(ctx context.Context, key, parent string, w io.Writer) error {
	dir, err := s.keyDir(key)
	if err != nil {
		return err
	}
	upper := filepath.Join(dir, "upper")
	if _, err := os.Stat(upper); err != nil {
		return fmt.Errorf("snapshot %s: %w", key, errdefs.ErrNotFound)
	}
	lowers, err := s.lowers(dir, parent)
	if err != nil {
		return err
	}
	target, err := os.MkdirTemp(s.layers, tmpPfx+"export-")
	if err != nil {
		return err
	}
	defer os.Remove(target)
	errc := make(chan error, 1)
	go func() {
		// The thread ends with the goroutine (never unlocked), taking
		// its mount namespace and the mount with it.
		runtime.LockOSThread()
		errc <- exportIn(ctx, append([]string{upper}, lowers...), target, w)
	}()
	return <-errc
}

func exportIn(ctx context.Context, layers []string, target string, w io.Writer) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("export: unshare mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("export: make mounts private: %w", err)
	}
	if err := mountReadOnly(layers, target); err != nil {
		return fmt.Errorf("export: mount: %w", err)
	}
	defer unix.Unmount(target, unix.MNT_DETACH)
	return archive.Tar(ctx, target, w)
}

// mountReadOnly mounts an overlay of layers (top first) without an upper.
func mountReadOnly(layers []string, target string) error {
	data := "lowerdir=" + strings.Join(layers, ":")
	if len(data) < os.Getpagesize() {
		return unix.Mount("overlay", target, "overlay", unix.MS_RDONLY, data)
	}
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fsfd)
	for _, l := range layers {
		if err := unix.FsconfigSetString(fsfd, "lowerdir+", l); err != nil {
			return fmt.Errorf("overlay lowerdir+ %s: %w", l, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return err
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	return unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}
