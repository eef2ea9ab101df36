package container

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/cgroup"
)

// OOM watching: while a container runs, a goroutine waits on its cgroup's
// OOM notification (cgroup.OOMNotifier: an eventfd on v1, inotify on v2)
// and reports what the kernel did, as it happens:
//   - a process killed by the OOM killer — the init or any child — sets
//     State.OOMKilled and emits an "oom" event (Docker ≥ 20.10 semantics:
//     the container may keep running);
//   - with --oom-kill-disable (v1), a container stalled at its limit
//     emits an "oom" event and shows oomStalledError in State.Error until
//     the stall ends; OOMKilled stays false, nothing was killed.
//
// The exit path (exited) stops the watcher first and reports a kill the
// watcher had not seen from the shim's exit status, so each run reports a
// kill once.
const (
	oomSettle     = 2 * time.Second        // poll this long after a notification: the v1 event precedes the kill
	oomSettleTick = 100 * time.Millisecond // poll interval while settling
	oomStallTick  = time.Second            // poll interval while stalled, to see the stall end
)

// oomStalledError is State.Error while the container is stalled.
const oomStalledError = "container is stalled: memory limit reached with the OOM killer disabled (--oom-kill-disable); " +
	"free memory, raise the limit (docker update -m) or kill the container"

type oomWatch struct {
	read func() (cgroup.OOMState, error) // the cgroup's OOM counters
	n    *cgroup.OOMNotifier
	done chan struct{}

	mu       sync.Mutex
	kills    uint64 // kill counter value already reported
	stalled  bool
	reported bool // an oom event reported a kill in this run
	stopped  bool
}

// watchOOM starts following c's cgroup for OOM kills and stalls while the
// container of m runs. Call it before the goroutine that waits for the exit
// (it sets m.oom). A restored container keeps the kills and the stall
// reported before the daemon restarted.
func (s *Service) watchOOM(c *Container, m *monitor) {
	cg := cgroup.Load(s.cgroupPath(c))
	n, err := cg.NotifyOOM()
	if err != nil {
		if !cgroup.IsNotExist(err) {
			s.log.Warn("oom notification unavailable", "container", c.ID, "err", err)
		}
		return
	}
	st := c.snapshot()
	w := &oomWatch{read: cg.OOM, n: n, done: make(chan struct{}), stalled: st.Error == oomStalledError}
	if st.OOMKilled {
		if st, err := cg.OOM(); err == nil {
			w.kills, w.reported = st.Kills, true
		}
	}
	m.oom = w
	go s.followOOM(c, w)
}

func (s *Service) followOOM(c *Container, w *oomWatch) {
	defer close(w.done)
	var settleUntil time.Time
	for s.checkOOM(c, w) {
		var timeout time.Duration // none: wait for the kernel
		switch {
		case time.Now().Before(settleUntil):
			timeout = oomSettleTick
		case w.isStalled():
			timeout = oomStallTick
		}
		switch err := w.n.Wait(timeout); {
		case err == nil:
			settleUntil = time.Now().Add(oomSettle)
		case errors.Is(err, os.ErrDeadlineExceeded):
		default:
			return // closed, or the notifier broke
		}
	}
}

// checkOOM reads the cgroup and reports news; false once the cgroup is
// gone or the watcher stopped.
func (s *Service) checkOOM(c *Container, w *oomWatch) bool {
	st, err := w.read()
	if err != nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	killed := st.Kills > w.kills
	stallBegan, stallChanged := st.UnderOOM && !w.stalled, st.UnderOOM != w.stalled
	if !killed && !stallChanged {
		return true
	}
	w.kills, w.stalled = max(w.kills, st.Kills), st.UnderOOM
	w.reported = w.reported || killed
	c.setState(func(cs *State) {
		cs.OOMKilled = cs.OOMKilled || killed
		if st.UnderOOM {
			cs.Error = oomStalledError
		} else {
			clearOOMStall(cs)
		}
	})
	if err := s.store.save(c); err != nil {
		s.log.Warn("save container state", "container", c.ID, "err", err)
	}
	if killed || stallBegan {
		s.log.Info("out of memory", "container", ShortID(c.ID), "kills", st.Kills, "stalled", st.UnderOOM)
		s.LogOOM(c)
	}
	c.notify()
	return true
}

func (w *oomWatch) isStalled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled
}

// stop ends the watcher (nil-safe) and reports whether it emitted an oom
// event for a kill in this run.
func (w *oomWatch) stop() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	_ = w.n.Close()
	<-w.done
	return w.reported
}

// clearOOMStall removes the stall message from a state.
func clearOOMStall(cs *State) {
	if cs.Error == oomStalledError {
		cs.Error = ""
	}
}
