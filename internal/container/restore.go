package container

import (
	"context"
	"time"

	"github.com/berth-engine/berth/internal/runtime"
	ctr "github.com/moby/moby/api/types/container"
)

// Restore reconnects to the shims of containers that were running when the
// daemon stopped. A container whose shim is gone gets the exit status the
// shim recorded (or 255 when there is none) and its resources released.
// It returns the IDs of containers still running (to keep their network
// namespaces and addresses).
func (s *Service) Restore(ctx context.Context) map[string]*Endpoint {
	running := map[string]*Endpoint{}
	for _, c := range s.store.all() {
		st := c.snapshot()
		switch st.Status {
		case ctr.StateRemoving, ctr.StateDead:
			if err := s.Remove(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
				s.log.Warn("finish interrupted removal", "container", c.ID, "err", err)
			}
			continue
		case ctr.StateRunning, ctr.StatePaused, ctr.StateRestarting:
		default:
			continue
		}
		sh, err := runtime.Connect(ctx, s.socketPath(c.ID))
		if err != nil {
			es, ok, _ := runtime.ReadExitStatus(s.bundleDir(c.ID))
			if !ok {
				es = runtime.ExitStatus{Code: 255, ExitedAt: time.Now().UTC()}
			}
			s.log.Info("container exited while the daemon was down", "container", c.ID, "code", es.Code)
			s.exited(c, newMonitor(nil), es)
			continue
		}
		m := newMonitor(sh)
		c.mu.Lock()
		c.monitor = m
		c.mu.Unlock()
		running[c.ID] = c.Network
		go s.watch(c, m)
	}
	return running
}

// closing reports whether the daemon is shutting down (watchers then leave
// containers alone).
func (s *Service) closing() bool {
	select {
	case <-s.shutdown:
		return true
	default:
		return false
	}
}
