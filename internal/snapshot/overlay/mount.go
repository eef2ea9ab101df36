package overlay

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/containerd/errdefs"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

const (
	shortLen      = 26
	unixENOTEMPTY = unix.ENOTEMPTY
)

func validLink(s string) bool {
	return len(s) == shortLen && !strings.ContainsAny(s, "/.")
}

func (s *Snapshotter) keyDir(key string) (string, error) {
	if err := snapshot.ValidKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.active, key), nil
}

// Prepare creates upper/, work/ and rootfs/ for key and mounts the snapshot.
func (s *Snapshotter) Prepare(ctx context.Context, key, parent string) (string, error) {
	dir, err := s.keyDir(key)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(filepath.Join(dir, "upper")); err == nil {
		return "", fmt.Errorf("snapshot %s: %w", key, errdefs.ErrAlreadyExists)
	}
	if parent != "" && !s.HasLayer(ctx, parent) {
		return "", fmt.Errorf("parent layer %s: %w", parent, errdefs.ErrNotFound)
	}
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return "", err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"upper", 0o755}, {"work", 0o700}, {"rootfs", 0o755}} {
		if err := os.Mkdir(filepath.Join(dir, d.name), d.mode); err != nil {
			s.Remove(ctx, key)
			return "", err
		}
	}
	rootfs, err := s.Mount(ctx, key, parent)
	if err != nil {
		s.Remove(ctx, key)
		return "", err
	}
	return rootfs, nil
}

// Mount mounts key's snapshot at rootfs/ unless it is mounted already.
func (s *Snapshotter) Mount(ctx context.Context, key, parent string) (string, error) {
	dir, err := s.keyDir(key)
	if err != nil {
		return "", err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if _, err := os.Stat(filepath.Join(dir, "upper")); err != nil {
		return "", fmt.Errorf("snapshot %s: %w", key, errdefs.ErrNotFound)
	}
	if ok, err := mountinfo.Mounted(rootfs); err != nil {
		return "", err
	} else if ok {
		return rootfs, nil
	}
	lowers, err := s.lowers(dir, parent)
	if err != nil {
		return "", err
	}
	if err := mountOverlay(lowers, filepath.Join(dir, "upper"), filepath.Join(dir, "work"), rootfs); err != nil {
		return "", fmt.Errorf("mount snapshot %s: %w", key, err)
	}
	return rootfs, nil
}

// lowers returns the lower directories for parent's chain, top first, by
// short link. An empty chain gets an empty directory in the key dir.
func (s *Snapshotter) lowers(keyDir, parent string) ([]string, error) {
	var lowers []string
	for id := parent; id != ""; {
		if len(lowers) == maxDepth {
			return nil, fmt.Errorf("layer chain deeper than %d: %w", maxDepth, errdefs.ErrInvalidArgument)
		}
		dir, err := s.layerDir(id)
		if err != nil {
			return nil, err
		}
		link, err := os.ReadFile(filepath.Join(dir, "link"))
		if err != nil || !validLink(string(link)) {
			return nil, fmt.Errorf("layer %s: %w", id, errdefs.ErrNotFound)
		}
		lowers = append(lowers, filepath.Join(s.layers, linkDir, string(link)))
		p, err := os.ReadFile(filepath.Join(dir, "parent"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		id = string(p)
	}
	if len(lowers) == 0 {
		empty := filepath.Join(keyDir, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return nil, err
		}
		lowers = append(lowers, empty)
	}
	return lowers, nil
}

// mountOverlay mounts with the classic one-page mount data when it fits,
// else through fsopen/fsconfig with one "lowerdir+" per layer.
func mountOverlay(lowers []string, upper, work, target string) error {
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,index=off", strings.Join(lowers, ":"), upper, work)
	if len(data) < os.Getpagesize() {
		return unix.Mount("overlay", target, "overlay", 0, data)
	}
	return mountNewAPI(lowers, upper, work, target)
}

func mountNewAPI(lowers []string, upper, work, target string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fsfd)
	for _, l := range lowers {
		if err := unix.FsconfigSetString(fsfd, "lowerdir+", l); err != nil {
			return fmt.Errorf("overlay lowerdir+ %s (needs Linux 6.8+): %w", l, err)
		}
	}
	for k, v := range map[string]string{"upperdir": upper, "workdir": work, "index": "off", "source": "overlay"} {
		if err := unix.FsconfigSetString(fsfd, k, v); err != nil {
			return fmt.Errorf("overlay %s: %w", k, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("create overlay: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mfd)
	return unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// Unmount detaches key's rootfs; not mounted is fine, busy falls back to
// a lazy detach.
func (s *Snapshotter) Unmount(ctx context.Context, key string) error {
	dir, err := s.keyDir(key)
	if err != nil {
		return err
	}
	return unmount(filepath.Join(dir, "rootfs"))
}

func unmount(target string) error {
	for {
		err := unix.Unmount(target, 0)
		switch {
		case err == nil:
			continue // stacked mounts: unmount until none is left
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY):
			if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount %s: %w", target, err)
			}
		default:
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
}

// Remove unmounts and deletes key's upper, work and rootfs (and the empty
// lower of a parentless snapshot). The key directory stays: the caller owns it.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	dir, err := s.keyDir(key)
	if err != nil {
		return err
	}
	if err := unmount(filepath.Join(dir, "rootfs")); err != nil {
		return err
	}
	var errs []error
	for _, d := range []string{"upper", "work", "rootfs", "empty"} {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, d)))
	}
	return errors.Join(errs...)
}

// DriverData returns the GraphDriver data Docker shows for an image whose
// top layer is chainID: its diff as UpperDir, the rest as LowerDir.
func (s *Snapshotter) DriverData(chainID string) map[string]string {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return nil
	}
	data := map[string]string{"UpperDir": filepath.Join(dir, "diff"), "WorkDir": filepath.Join(dir, "work"), "MergedDir": filepath.Join(dir, "merged")}
	p, err := os.ReadFile(filepath.Join(dir, "parent"))
	var lower []string
	for id := string(p); err == nil && id != "" && len(lower) < maxDepth; {
		d, derr := s.layerDir(id)
		if derr != nil {
			break
		}
		lower = append(lower, filepath.Join(d, "diff"))
		next, rerr := os.ReadFile(filepath.Join(d, "parent"))
		if rerr != nil {
			break
		}
		id = string(next)
	}
	if len(lower) > 0 {
		data["LowerDir"] = strings.Join(lower, ":")
	}
	return data
}
