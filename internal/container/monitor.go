package container

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/runtime"
	"github.com/docker/go-units"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// monitor is the daemon's live link to a running container's shim. done is
// closed once the exit is recorded and the container's resources (network,
// mount) are released.
type monitor struct {
	shim *runtime.Shim
	done chan struct{}
	once sync.Once
	oom  *oomWatch // nil when the cgroup offers no OOM notification

	// waited carries the shim's answer to a wait asked early (waitEarly).
	waited chan waitResult
}

type waitResult struct {
	st  runtime.ExitStatus
	err error
}

// waitEarly asks the shim for the exit status now, on another goroutine,
// so that the connection and request are in place before the start
// finishes: a short-lived container's exit is then known at once.
func (m *monitor) waitEarly() {
	m.waited = make(chan waitResult, 1)
	go func() {
		st, err := m.shim.Wait(context.Background())
		m.waited <- waitResult{st, err}
	}()
}

// wait returns the shim's exit status, from waitEarly's request if made.
func (m *monitor) wait() (runtime.ExitStatus, error) {
	if m.waited != nil {
		r := <-m.waited
		return r.st, r.err
	}
	return m.shim.Wait(context.Background())
}

func newMonitor(sh *runtime.Shim) *monitor {
	return &monitor{shim: sh, done: make(chan struct{})}
}

func (m *monitor) close() {
	m.once.Do(func() {
		if m.shim != nil {
			_ = m.shim.Close()
		}
	})
}

// watch waits for the container to exit and records it.
func (s *Service) watch(c *Container, m *monitor) {
	st, err := m.wait()
	if err != nil {
		// The shim connection broke: the daemon is shutting down, or the
		// shim died. Fall back to the exit file it writes.
		if es, ok, _ := runtime.ReadExitStatus(s.bundleDir(c.ID)); ok {
			st, err = es, nil
		}
	}
	if err != nil {
		if s.closing() {
			return // daemon shutdown: the container keeps running
		}
		s.log.Warn("lost shim, marking container exited", "container", c.ID, "err", err)
		st = runtime.ExitStatus{Code: 255, ExitedAt: time.Now().UTC()}
	}
	s.exited(c, m, st)
}

// exited records an exit, tells waiters at once, then releases the
// container's runtime resources (network, rootfs mount, runc state and
// cgroup) in parallel; m.done closes when all of that is finished.
func (s *Service) exited(c *Container, m *monitor, st runtime.ExitStatus) {
	s.exiting.Add(1)
	defer s.exiting.Add(-1)
	oomReported := m.oom.stop()
	c.setState(func(cs *State) {
		cs.Status = ctr.StateExited
		cs.Pid = 0
		cs.Paused = false // a Pause that raced a kill must not outlive the process
		cs.ExitCode = st.Code
		cs.OOMKilled = st.OOMKilled || cs.OOMKilled // the OOM watcher may have seen a kill
		clearOOMStall(cs)
		cs.FinishedAt = st.ExitedAt
		if cs.FinishedAt.IsZero() {
			cs.FinishedAt = time.Now().UTC()
		}
		cs.exits++
	})
	if st.OOMKilled && !oomReported {
		s.LogOOM(c)
	}
	s.afterExit(c, m) // die event, restart policy
	if c.hostConfig().AutoRemove {
		s.autoRemove(c, m)
		return
	}
	c.notify()
	s.releaseRuntime(c, m)
	if err := s.store.save(c); err != nil {
		s.log.Error("save container state", "container", c.ID, "err", err)
	}
	m.close()
	close(m.done)
	c.notify()
}

// releaseRuntime frees what a stopped container still holds: network,
// rootfs mount, and (through the shim) runc state and cgroup.
func (s *Service) releaseRuntime(c *Container, m *monitor) {
	t0 := time.Now()
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.teardownNetwork(ctx, c)
		s.log.Debug("exit step", "container", ShortID(c.ID), "step", "network", "at", time.Since(t0))
	}()
	go func() {
		defer wg.Done()
		if m.shim != nil {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := m.shim.WaitClosed(wctx); err != nil {
				s.log.Warn("shim did not finish", "container", c.ID, "err", err)
			}
			cancel()
			s.log.Debug("exit step", "container", ShortID(c.ID), "step", "shim closed", "at", time.Since(t0))
		}
	}()
	if err := s.cfg.RootFS.Unmount(ctx, c.ID); err != nil {
		s.log.Warn("unmount rootfs", "container", c.ID, "err", err)
	}
	wg.Wait()
	s.unmountVolumes(ctx, c)
	s.log.Debug("runtime released", "container", ShortID(c.ID), "took", time.Since(t0))
}

// autoRemove removes a --rm container as soon as it exits: the record goes
// first, so waiters for "removed" (docker run --rm) are answered at once,
// and the host resources are released right after. A crash in between is
// repaired at the next start by gcOrphans.
func (s *Service) autoRemove(c *Container, m *monitor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		m.close()
		close(m.done)
	}()
	if c.snapshot().Removed {
		return
	}
	c.setState(func(st *State) { st.Status = ctr.StateRemoving })
	// Waiters learn of the removal before the record's deletion is
	// committed (a disk sync, slow when the host is busy): the container
	// is already gone from lookups and its name free, and should the
	// daemon die before the commit, Restore removes the exited --rm
	// container it finds.
	s.store.forget(c)
	c.setState(func(st *State) { st.Removed = true })
	s.emit(c, events.ActionDestroy, nil)
	c.notify()
	if err := s.store.deleteRecord(c); err != nil {
		s.log.Error("auto-remove: delete the record", "container", c.ID, "err", err)
	}
	s.releaseRuntime(c, m)
	if err := s.release(context.Background(), c); err != nil {
		s.log.Warn("auto-remove cleanup", "container", c.ID, "err", err)
	}
	s.removeAnonVolumes(context.Background(), c)
}

func logMaxSize(c *Container) int64 {
	if v, ok := c.HostConfig.LogConfig.Config["max-size"]; ok {
		if n, err := units.RAMInBytes(v); err == nil {
			return n
		}
	}
	return 10 << 20
}

func logMaxFiles(c *Container) int {
	if v, ok := c.HostConfig.LogConfig.Config["max-file"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 3
}
