package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/oci"
	"github.com/berth-engine/berth/internal/volume"
	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/moby/api/types/mount"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountVolumes mounts the container's volumes, fills empty ones from the
// image, and adds every mount point to spec. Each destination is resolved
// inside the rootfs (symlinks evaluated as if rootfs were /), so an image
// symlink can't make a mount land on the host; the mount point is created
// there and the runtime gets the resolved, symlink-free path.
func (s *Service) mountVolumes(ctx context.Context, c *Container, rootfs string, spec *specs.Spec) (retErr error) {
	if len(c.MountPoints) == 0 {
		return nil
	}
	defer func() {
		if retErr != nil {
			s.unmountVolumes(context.WithoutCancel(ctx), c)
		}
	}()
	var ms []specs.Mount
	for _, mp := range c.MountPoints {
		src, err := s.mountSource(ctx, c, mp, rootfs)
		if err != nil {
			return err
		}
		dst, err := mountpoint(rootfs, mp.Destination, src)
		if err != nil {
			return fmt.Errorf("mount point %s: %w", mp.Destination, err)
		}
		ms = append(ms, specMount(mp, src, dst))
	}
	oci.AddMounts(spec, ms)
	return nil
}

// mountSource returns the host path to mount ("" for tmpfs), mounting a
// volume and copying the image's content into it when it is empty.
func (s *Service) mountSource(ctx context.Context, c *Container, mp *MountPoint, rootfs string) (string, error) {
	switch mp.Type {
	case mount.TypeTmpfs:
		return "", nil
	case mount.TypeBind:
		if _, err := os.Stat(mp.Source); err != nil {
			return "", fmt.Errorf("error while mounting %s: %w", mp.Destination, err)
		}
		return mp.Source, nil
	}
	if s.cfg.Volumes == nil {
		return "", fmt.Errorf("volume %s: no volume store", mp.Name)
	}
	p, err := s.cfg.Volumes.Mount(ctx, mp.Name, c.ID)
	if errdefs.IsNotFound(err) { // removed with force while the container was stopped
		if _, err = s.cfg.Volumes.Create(ctx, volume.CreateOptions{Name: mp.Name}); err == nil {
			p, err = s.cfg.Volumes.Mount(ctx, mp.Name, c.ID)
		}
	}
	if err != nil {
		return "", fmt.Errorf("mount volume %s: %w", mp.Name, err)
	}
	if mp.CopyData {
		if err := copyUp(rootfs, mp.Destination, p); err != nil {
			return "", fmt.Errorf("copy image content into volume %s: %w", mp.Name, err)
		}
	}
	return p, nil
}

// unmountVolumes releases the container's hold on its volumes (volumes
// with their own filesystem are unmounted after their last user).
func (s *Service) unmountVolumes(ctx context.Context, c *Container) {
	if s.cfg.Volumes == nil {
		return
	}
	for _, mp := range c.MountPoints {
		if mp.Type != mount.TypeVolume {
			continue
		}
		if err := s.cfg.Volumes.Unmount(ctx, mp.Name, c.ID); err != nil {
			s.log.Warn("unmount volume", "container", ShortID(c.ID), "volume", mp.Name, "err", err)
		}
	}
}

// mountpoint resolves dest inside rootfs, creates it (a directory, or an
// empty file when src is a file) and returns its symlink-free path.
func mountpoint(rootfs, dest, src string) (string, error) {
	host, err := securejoin.SecureJoin(rootfs, dest)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(rootfs, host)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("destination %s resolves outside the container", dest)
	}
	rel = "/" + rel
	if fi, err := os.Stat(src); src != "" && err == nil && !fi.IsDir() {
		return rel, mkfileInRoot(rootfs, rel)
	}
	return rel, pathrs.MkdirAll(rootfs, rel, 0o755)
}

// mkfileInRoot creates an empty file at rel inside root without following
// symlinks (its parent is created and opened inside root).
func mkfileInRoot(root, rel string) error {
	rootDir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer rootDir.Close()
	dir, err := pathrs.MkdirAllHandle(rootDir, filepath.Dir(rel), 0o755)
	if err != nil {
		return err
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), filepath.Base(rel), unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0o644)
	if err != nil {
		return fmt.Errorf("mount point %s: %w", rel, err)
	}
	return unix.Close(fd)
}

// specMount is the runtime-spec form of a mount point.
func specMount(mp *MountPoint, src, dst string) specs.Mount {
	if mp.Type == mount.TypeTmpfs {
		o := []string{"nosuid", "nodev", "noexec"}
		if t := mp.Tmpfs; t != nil {
			if t.SizeBytes > 0 {
				o = append(o, "size="+strconv.FormatInt(t.SizeBytes, 10))
			}
			if t.Mode != 0 {
				o = append(o, "mode="+strconv.FormatUint(uint64(t.Mode.Perm()), 8))
			}
		}
		if !mp.RW {
			o = append(o, "ro")
		}
		return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: o}
	}
	o := []string{"rbind"}
	if mp.NonRecursive {
		o[0] = "bind"
	}
	if !mp.RW {
		o = append(o, "ro")
	}
	prop := string(mp.Propagation)
	if prop == "" {
		prop = string(mount.PropagationRPrivate)
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: append(o, prop)}
}
