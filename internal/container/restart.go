package container

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// Docker's restart backoff: 100 ms doubling up to a minute, reset once a
// run lasted 10 s.
const (
	backoffStart = 100 * time.Millisecond
	backoffMax   = time.Minute
	backoffReset = 10 * time.Second
)

// restartState is a container's in-memory restart bookkeeping.
type restartState struct {
	mu          sync.Mutex
	backoff     time.Duration // delay of the last scheduled restart
	unhealthy   bool          // the current run is being stopped for failing its health check
	gen         int           // bumped by manual start/stop to void pending restarts
	cancelProbe func()        // stops the health prober of the current run
}

// restarter holds back restarts until the daemon finished restoring (the
// network must not be pruned under a container that restarts meanwhile).
type restarter struct {
	mu     sync.Mutex
	booted bool
	queued []func()
}

func (r *restarter) run(fn func()) {
	r.mu.Lock()
	if !r.booted {
		r.queued = append(r.queued, fn)
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	go fn()
}

func (r *restarter) boot() {
	r.mu.Lock()
	q := r.queued
	r.booted, r.queued = true, nil
	r.mu.Unlock()
	for _, fn := range q {
		go fn()
	}
}

// validateRestartPolicy checks the policy as Docker does, and refuses a
// restart policy on an auto-removed container.
func validateRestartPolicy(hc *ctr.HostConfig) error {
	if err := ctr.ValidateRestartPolicy(hc.RestartPolicy); err != nil {
		return fmt.Errorf("%s: %w", err.Error(), errdefs.ErrInvalidArgument)
	}
	if hc.AutoRemove && !hc.RestartPolicy.IsNone() && hc.RestartPolicy.Name != "" {
		return fmt.Errorf("Conflicting options: --restart and --rm: %w", errdefs.ErrInvalidArgument)
	}
	return nil
}

// shouldRestart decides on an exit. atBoot is the daemon-start pass, where
// "always" also restarts a manually stopped container (as Docker does).
func shouldRestart(p ctr.RestartPolicy, st State, restarts int, atBoot bool) bool {
	switch {
	case p.IsAlways():
		return atBoot || !st.ManuallyStopped
	case p.IsUnlessStopped():
		return !st.ManuallyStopped
	case p.IsOnFailure():
		return !st.ManuallyStopped && st.ExitCode != 0 &&
			(p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// nextBackoff doubles the previous delay, starting again at 100 ms after a
// run of 10 s or more.
func nextBackoff(prev, ran time.Duration) time.Duration {
	switch {
	case ran >= backoffReset || prev == 0:
		return backoffStart
	case prev*2 > backoffMax:
		return backoffMax
	}
	return prev * 2
}

// afterExit runs in exited() before waiters are woken: the health prober
// stops, the die event goes out and the restart policy is applied.
func (s *Service) afterExit(c *Container, m *monitor) {
	s.stopHealth(c)
	s.emitDie(c, c.snapshot())
	s.planRestart(c, m)
}

// planRestart runs in exited(), before waiters are woken: when the policy
// (or Berth's unhealthy restart) wants the container back it is marked
// "restarting" and started again after the backoff, once m is done.
func (s *Service) planRestart(c *Container, m *monitor) {
	hc := c.hostConfig()
	if hc.AutoRemove || s.closing() {
		return
	}
	st := c.snapshot()
	stateMu.Lock()
	restarts := c.RestartCount
	stateMu.Unlock()
	rs := &c.policy
	rs.mu.Lock()
	forced := rs.unhealthy && !st.ManuallyStopped
	rs.unhealthy = false
	if !forced && !shouldRestart(hc.RestartPolicy, st, restarts, false) {
		rs.mu.Unlock()
		return
	}
	rs.backoff = nextBackoff(rs.backoff, st.FinishedAt.Sub(st.StartedAt))
	delay, gen := rs.backoff, rs.gen
	rs.mu.Unlock()
	c.setState(func(cs *State) { cs.Status = ctr.StateRestarting })
	s.restarts.run(func() {
		<-m.done
		time.Sleep(delay)
		s.autoRestart(c, gen, false)
	})
}

// autoRestart starts a container the policy restarts, unless it was
// started, stopped or removed meanwhile. A restart counts in RestartCount;
// the daemon-start pass begins a new count, as Docker's does.
func (s *Service) autoRestart(c *Container, gen int, atBoot bool) {
	if s.closing() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.snapshot()
	c.policy.mu.Lock()
	current := c.policy.gen == gen
	c.policy.mu.Unlock()
	if st.Status != ctr.StateRestarting || st.Removed || !current {
		return
	}
	if c.monitor != nil {
		<-c.monitor.done
	}
	stateMu.Lock()
	c.RestartCount++
	if atBoot {
		c.RestartCount = 0
	}
	stateMu.Unlock()
	if err := s.start(context.Background(), c); err != nil {
		s.log.Warn("restart by policy failed", "container", c.ID, "err", err)
		s.failStart(c, err)
	}
}

// resetRestart is called by a manual start: the restart count and backoff
// start over and pending policy restarts are voided.
func (s *Service) resetRestart(c *Container) {
	c.policy.mu.Lock()
	c.policy.gen++
	c.policy.backoff = 0
	c.policy.unhealthy = false
	c.policy.mu.Unlock()
	stateMu.Lock()
	c.RestartCount = 0
	stateMu.Unlock()
}

// stopRequested marks a manual stop, which disables the restart policy
// until the next start. A container waiting to restart just becomes
// exited; stopped reports that case (there is nothing left to signal).
func (s *Service) stopRequested(c *Container) (stopped bool, err error) {
	c.mu.Lock() // lets an in-flight policy restart finish first
	defer c.mu.Unlock()
	c.policy.mu.Lock()
	c.policy.gen++
	c.policy.mu.Unlock()
	st := c.snapshot()
	if !st.Running() && st.Status != ctr.StateRestarting {
		return false, nil
	}
	c.setState(func(cs *State) {
		cs.ManuallyStopped = true
		if cs.Status == ctr.StateRestarting {
			cs.Status = ctr.StateExited
			stopped = true
		}
	})
	if err := s.store.save(c); err != nil {
		return stopped, err
	}
	if stopped {
		c.notify()
		s.emit(c, events.ActionStop, nil)
	}
	return stopped, nil
}

// removeRestarting refuses to remove a container waiting to restart
// unless forced; a forced removal first turns the restart policy off, so
// the container is not started again under it.
func (s *Service) removeRestarting(c *Container, force bool) error {
	if !force {
		if c.snapshot().Status == ctr.StateRestarting {
			return fmt.Errorf("cannot remove container \"/%s\": container is restarting: stop the container before removing or force remove: %w", c.name(), errdefs.ErrConflict)
		}
		return nil
	}
	_, err := s.stopRequested(c)
	return err
}

// RestartOnBoot runs once the daemon has restored its state: restarts
// decided while restoring go ahead, and stopped containers whose policy
// says so (always, unless-stopped without a manual stop, on-failure after
// a failure) are started again, as dockerd does at boot.
func (s *Service) RestartOnBoot(ctx context.Context) {
	for _, c := range s.store.all() {
		st := c.snapshot()
		if st.Status != ctr.StateExited || st.StartedAt.IsZero() || st.Removed || c.hostConfig().AutoRemove {
			continue
		}
		stateMu.Lock()
		restarts := c.RestartCount
		stateMu.Unlock()
		if !shouldRestart(c.hostConfig().RestartPolicy, st, restarts, true) {
			continue
		}
		c.policy.mu.Lock()
		gen := c.policy.gen
		c.policy.mu.Unlock()
		c.setState(func(cs *State) { cs.Status = ctr.StateRestarting })
		s.restarts.run(func() { s.autoRestart(c, gen, true) })
	}
	s.restarts.boot()
}

// validatePolicies checks the restart policy and the health check of a
// create request.
func validatePolicies(cfg *ctr.Config, hc *ctr.HostConfig) error {
	if err := validateRestartPolicy(hc); err != nil {
		return err
	}
	return validateHealthcheck(cfg.Healthcheck)
}

// restartCount reads RestartCount, which policy restarts change while the
// container is being inspected.
func restartCount(c *Container) int {
	stateMu.Lock()
	defer stateMu.Unlock()
	return c.RestartCount
}
