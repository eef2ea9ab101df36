package container

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
)

// Resize sets the TTY size of a running container.
func (s *Service) Resize(ctx context.Context, ref string, width, height uint16) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	m := c.liveMonitor()
	if m == nil {
		return fmt.Errorf("Container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	return m.shim.Resize(ctx, width, height)
}
