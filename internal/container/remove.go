package container

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// RemoveOptions are the flags of DELETE /containers/{id}.
type RemoveOptions struct {
	Force         bool
	RemoveVolumes bool
}

// Remove deletes a container: its rw layer, files, network and record.
func (s *Service) Remove(ctx context.Context, ref string, opts RemoveOptions) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	if err := s.removeRestarting(c, opts.Force); err != nil {
		return err
	}
	killed := false
	if m := c.liveMonitor(); m != nil {
		killed = true
		if !opts.Force {
			return fmt.Errorf("cannot remove container \"/%s\": container is running: stop the container before removing or force remove: %w", c.name(), errdefs.ErrConflict)
		}
		s.emitKill(c, syscall.SIGKILL)
		if err := stopWith(ctx, m, syscall.SIGKILL, 0); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	exitHandled(c)
	if st := c.snapshot(); st.Removed {
		if killed || c.hostConfig().AutoRemove { // a --rm container removed itself once it exited
			return nil
		}
		return fmt.Errorf("No such container: %s: %w", ref, errdefs.ErrNotFound)
	} else if st.Running() { // started again while exitHandled let go of the lock
		return fmt.Errorf("cannot remove container \"/%s\": container is running: %w", c.name(), errdefs.ErrConflict)
	}
	c.setState(func(st *State) { st.Status = ctr.StateRemoving })
	ctx = context.WithoutCancel(ctx)
	if err := s.release(ctx, c); err != nil {
		c.setState(func(st *State) { st.Status = ctr.StateDead; st.Error = err.Error() })
		_ = s.store.save(c)
		return err
	}
	if err := s.store.remove(c); err != nil {
		return err
	}
	c.setState(func(st *State) { st.Removed = true })
	if opts.RemoveVolumes {
		s.removeAnonVolumes(ctx, c)
	}
	s.emit(c, events.ActionDestroy, nil)
	c.notify()
	return nil
}

// exitHandled waits, with c.mu held, until the exit of the container's
// last run is fully handled. An auto-remove container's exit handling
// takes c.mu itself, so the lock is let go meanwhile: holding it
// deadlocked `rm -f` against a --rm container exiting at the same time.
func exitHandled(c *Container) {
	m := c.monitor
	if m == nil {
		return
	}
	if c.hostConfig().AutoRemove {
		c.mu.Unlock()
		<-m.done
		c.mu.Lock()
		return
	}
	<-m.done
}

// release frees everything a container holds on the host.
func (s *Service) release(ctx context.Context, c *Container) error {
	s.teardownNetwork(ctx, c)
	if err := s.cfg.Network.Detach(ctx, c.ID); err != nil {
		return err
	}
	if err := s.cfg.Network.Remove(ctx, c.ID); err != nil {
		return err
	}
	if err := s.cfg.RootFS.Remove(ctx, c.ID); err != nil {
		return fmt.Errorf("remove rootfs: %w", err)
	}
	_ = os.Remove(s.socketPath(c.ID))
	if err := os.RemoveAll(s.bundleDir(c.ID)); err != nil {
		return err
	}
	return os.RemoveAll(s.dataDir(c.ID))
}
