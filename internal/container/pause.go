package container

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// Pause freezes every process of a running container (the cgroup freezer,
// through runc pause). Stop, kill and forced removal work on a paused
// container: the shim thaws it once it has sent the signal.
func (s *Service) Pause(ctx context.Context, ref string) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	c.freeze.Lock()
	defer c.freeze.Unlock()
	m := c.liveMonitor()
	switch {
	case m == nil:
		return fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	case c.snapshot().Paused:
		return fmt.Errorf("container %s is already paused: %w", c.ID, errdefs.ErrConflict)
	}
	if err := m.shim.Pause(ctx); err != nil {
		return err
	}
	s.setPaused(c, true)
	return nil
}

// Unpause thaws a paused container.
func (s *Service) Unpause(ctx context.Context, ref string) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	c.freeze.Lock()
	defer c.freeze.Unlock()
	m := c.liveMonitor()
	if m == nil || !c.snapshot().Paused {
		return fmt.Errorf("Container %s is not paused: %w", c.ID, errdefs.ErrConflict)
	}
	if err := m.shim.Resume(ctx); err != nil {
		return err
	}
	s.setPaused(c, false)
	return nil
}

func (s *Service) setPaused(c *Container, paused bool) {
	c.setState(func(st *State) { st.Paused = paused })
	if err := s.store.save(c); err != nil {
		s.log.Error("save container state", "container", c.ID, "err", err)
	}
	c.notify()
}

// thawed records that a signal sent to a paused container thawed it (the
// shim resumes a paused container after signalling it).
func (s *Service) thawed(c *Container) {
	if c.snapshot().Paused {
		s.setPaused(c, false)
	}
}

// display is the state Docker reports: "paused" for a frozen running
// container, else Status.
func (st State) display() ctr.ContainerState {
	if st.Paused && st.Running() {
		return ctr.StatePaused
	}
	return st.Status
}

// isPaused reports whether a running container is frozen.
func (st State) isPaused() bool { return st.Paused && st.Running() }
