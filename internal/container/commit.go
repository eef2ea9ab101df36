package container

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
)

// differ is implemented by snapshotters that can write a container's
// filesystem changes (commit) and its whole filesystem (export) as tar.
type differ interface {
	Diff(ctx context.Context, key, parent string, w io.Writer, skip func(name string) bool) error
	Export(ctx context.Context, key, parent string, w io.Writer) error
}

func (s *Service) differ() (differ, error) {
	d, ok := s.cfg.RootFS.(differ)
	if !ok {
		return nil, fmt.Errorf("storage driver %s cannot export containers: %w", s.cfg.RootFS.Name(), errdefs.ErrNotImplemented)
	}
	return d, nil
}

// WriteChanges writes the layer tar of what container ref changed in its
// filesystem (deletions as whiteouts), leaving out the mount points the
// runtime creates (/proc, /sys, /dev, /etc/hosts…), which Docker keeps in
// an init layer. With pause, a running container is frozen while its
// changes are read and thawed afterwards. It returns the container as it
// was when the changes were taken.
func (s *Service) WriteChanges(ctx context.Context, ref string, pause bool, w io.Writer) (*Container, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return nil, err
	}
	d, err := s.differ()
	if err != nil {
		return nil, err
	}
	if pause && c.liveMonitor() != nil && !c.snapshot().Paused {
		if err := s.Pause(ctx, c.ID); err != nil {
			return nil, fmt.Errorf("pause container %s for commit: %w", ShortID(c.ID), err)
		}
		defer func() {
			if err := s.Unpause(context.WithoutCancel(ctx), c.ID); err != nil {
				s.log.Warn("unpause after commit", "container", c.ID, "err", err)
			}
		}()
	}
	skip := func(name string) bool { return isRuntimePath("/" + name) }
	if err := d.Diff(ctx, c.ID, c.ChainID, w, skip); err != nil {
		return nil, fmt.Errorf("container %s changes: %w", ShortID(c.ID), err)
	}
	return c, nil
}

// Export writes container ref's whole filesystem as a tar stream (GET
// /containers/{id}/export). The container may be running or stopped.
func (s *Service) Export(ctx context.Context, ref string, w io.Writer) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	d, err := s.differ()
	if err != nil {
		return err
	}
	if err := d.Export(ctx, c.ID, c.ChainID, w); err != nil {
		return fmt.Errorf("export container %s: %w", ShortID(c.ID), err)
	}
	return nil
}
