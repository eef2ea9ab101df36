package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	ctr "github.com/moby/moby/api/types/container"
)

// The archive API (docker cp) reads and writes the container's root
// filesystem from the host side: every path is resolved inside the rootfs
// with securejoin (symlinks evaluated as if the rootfs were /), so nothing
// outside it is ever read or written. A stopped container's rootfs is
// mounted for the operation, under the container's lifecycle lock.

// ArchiveStat describes the file at p in the container (HEAD archive).
func (s *Service) ArchiveStat(ctx context.Context, ref, p string) (ctr.PathStat, error) {
	var st ctr.PathStat
	err := s.withRootfs(ctx, ref, func(c *Container, rootfs string) error {
		var err error
		_, st, err = statInRootfs(c, rootfs, p)
		return err
	})
	return st, err
}

// ArchiveGet writes the file or directory at p as a tar stream to the
// writer start returns; start is called with the path's stat once it is
// known to exist, before any byte is written.
func (s *Service) ArchiveGet(ctx context.Context, ref, p string, start func(ctr.PathStat) io.Writer) error {
	return s.withRootfs(ctx, ref, func(c *Container, rootfs string) error {
		host, st, err := statInRootfs(c, rootfs, p)
		if err != nil {
			return err
		}
		w := start(st)
		if host == rootfs || strings.HasSuffix(p, "/.") {
			return archive.Tar(ctx, host, w)
		}
		return archive.TarPath(ctx, host, w)
	})
}

// ArchivePut extracts the tar stream r into the directory p of the
// container.
func (s *Service) ArchivePut(ctx context.Context, ref, p string, r io.Reader) error {
	return s.withRootfs(ctx, ref, func(c *Container, rootfs string) error {
		if c.hostConfig().ReadonlyRootfs {
			return fmt.Errorf("container rootfs is marked read-only: %w", errdefs.ErrPermissionDenied)
		}
		dir, rw, err := joinInContainer(c, rootfs, path.Clean("/"+p))
		if err != nil {
			return fmt.Errorf("resolve %s: %v: %w", p, err, errdefs.ErrInvalidArgument)
		}
		if !rw {
			return fmt.Errorf("mounted volume is marked read-only: %w", errdefs.ErrPermissionDenied)
		}
		fi, err := os.Stat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("Could not find the file %s in container %s: %w", p, c.name(), errdefs.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("extraction point is not a directory: %w", errdefs.ErrInvalidArgument)
		}
		if _, err := archive.Apply(ctx, dir, r, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply}); err != nil {
			return fmt.Errorf("extract archive: %w", err)
		}
		return nil
	})
}

// withRootfs runs fn with the container's mounted rootfs. A container that
// is not running is held under its lifecycle lock (no start or removal
// meanwhile) and its rootfs unmounted again afterwards.
func (s *Service) withRootfs(ctx context.Context, ref string, fn func(c *Container, rootfs string) error) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.snapshot().Running() {
		c.mu.Unlock()
		return fn(c, filepath.Join(s.dataDir(c.ID), "rootfs"))
	}
	defer c.mu.Unlock()
	if c.snapshot().Removed {
		return fmt.Errorf("No such container: %s: %w", ref, errdefs.ErrNotFound)
	}
	rootfs, err := s.cfg.RootFS.Mount(ctx, c.ID, c.ChainID)
	if err != nil {
		return fmt.Errorf("mount rootfs: %w", err)
	}
	defer func() {
		if err := s.cfg.RootFS.Unmount(context.WithoutCancel(ctx), c.ID); err != nil {
			s.log.Warn("unmount rootfs", "container", c.ID, "err", err)
		}
	}()
	return fn(c, rootfs)
}

// statInRootfs resolves p inside rootfs: its parent directories follow
// symlinks (inside the rootfs), its last element does not, unless p ends
// in "/" or "/.". It returns the host path and Docker's PathStat.
func statInRootfs(c *Container, rootfs, p string) (string, ctr.PathStat, error) {
	var st ctr.PathStat
	clean := path.Clean("/" + p)
	var host string
	var err error
	if clean == "/" || strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") {
		host, _, err = joinInContainer(c, rootfs, clean)
	} else {
		dir, base := path.Split(clean)
		host, _, err = joinInContainer(c, rootfs, dir)
		host = filepath.Join(host, base)
	}
	if err != nil {
		return "", st, fmt.Errorf("resolve %s: %v: %w", p, err, errdefs.ErrInvalidArgument)
	}
	fi, err := os.Lstat(host)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		return "", st, fmt.Errorf("Could not find the file %s in container %s: %w", p, c.name(), errdefs.ErrNotFound)
	}
	if err != nil {
		return "", st, err
	}
	st = ctr.PathStat{Name: filepath.Base(clean), Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime()}
	if fi.Mode()&os.ModeSymlink != 0 {
		if target, err := securejoin.SecureJoin(rootfs, clean); err == nil {
			st.LinkTarget = "/" + strings.TrimPrefix(strings.TrimPrefix(target, rootfs), "/")
		}
	}
	return host, st, nil
}
