package container

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// Docker's health check defaults and limits.
const (
	defaultProbeInterval = 30 * time.Second
	defaultProbeTimeout  = 30 * time.Second
	defaultStartInterval = 5 * time.Second
	defaultProbeRetries  = 3
	maxHealthLog         = 5
	maxProbeOutput       = 4096
	minHealthDuration    = time.Millisecond
)

// LabelRestartUnhealthy opts a container into Berth's restart of unhealthy
// containers: with the value "true", a container whose health check turns
// unhealthy is stopped (stop signal, stop timeout) and started again with
// the restart policy's backoff; RestartCount counts these restarts.
const LabelRestartUnhealthy = "berth.restart-on-unhealthy"

// healthEnabled reports whether hc asks for probes ("NONE" disables the
// image's check).
func healthEnabled(hc *ctr.HealthConfig) bool {
	return hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// mergeHealthcheck fills the user's check from the image's, as Docker does
// at create: no user check takes the image's; unset fields are inherited.
func mergeHealthcheck(user, img *ctr.HealthConfig) *ctr.HealthConfig {
	if img == nil {
		return user
	}
	if user == nil {
		h := *img
		return &h
	}
	h := *user
	if len(h.Test) == 0 {
		h.Test = img.Test
	}
	if h.Interval == 0 {
		h.Interval = img.Interval
	}
	if h.Timeout == 0 {
		h.Timeout = img.Timeout
	}
	if h.StartPeriod == 0 {
		h.StartPeriod = img.StartPeriod
	}
	if h.StartInterval == 0 {
		h.StartInterval = img.StartInterval
	}
	if h.Retries == 0 {
		h.Retries = img.Retries
	}
	return &h
}

// validateHealthcheck rejects what Docker's daemon rejects, with its words.
func validateHealthcheck(hc *ctr.HealthConfig) error {
	if hc == nil {
		return nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Interval", hc.Interval}, {"Timeout", hc.Timeout}, {"StartPeriod", hc.StartPeriod}, {"StartInterval", hc.StartInterval}} {
		if d.v != 0 && d.v < minHealthDuration {
			return fmt.Errorf("%s in Healthcheck cannot be less than %s: %w", d.name, minHealthDuration, errdefs.ErrInvalidArgument)
		}
	}
	if hc.Retries < 0 {
		return fmt.Errorf("Retries in Healthcheck cannot be negative: %w", errdefs.ErrInvalidArgument)
	}
	if len(hc.Test) > 0 {
		switch hc.Test[0] {
		case "NONE", "CMD", "CMD-SHELL":
		default:
			return fmt.Errorf("unknown Healthcheck type %q: %w", hc.Test[0], errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// withDefaults returns hc with Docker's defaults for unset fields.
func withDefaults(hc ctr.HealthConfig) ctr.HealthConfig {
	if hc.Interval == 0 {
		hc.Interval = defaultProbeInterval
	}
	if hc.Timeout == 0 {
		hc.Timeout = defaultProbeTimeout
	}
	if hc.StartInterval == 0 {
		hc.StartInterval = defaultStartInterval
	}
	if hc.Retries == 0 {
		hc.Retries = defaultProbeRetries
	}
	return hc
}

// nextHealth applies one probe result to h (never modified) the way
// Docker does: success resets the streak and makes the container healthy;
// a failure counts, except while starting within the start period, and
// `retries` failures in a row make it unhealthy. The log keeps the last 5.
func nextHealth(h *ctr.Health, res *ctr.HealthcheckResult, cfg ctr.HealthConfig, startedAt time.Time) *ctr.Health {
	n := &ctr.Health{Status: ctr.Starting}
	if h != nil {
		n.Status, n.FailingStreak = h.Status, h.FailingStreak
		n.Log = append(n.Log, h.Log...)
	}
	n.Log = append(n.Log, res)
	if len(n.Log) > maxHealthLog {
		n.Log = n.Log[len(n.Log)-maxHealthLog:]
	}
	switch {
	case res.ExitCode == 0:
		n.FailingStreak = 0
		n.Status = ctr.Healthy
	case n.Status == ctr.Starting && res.Start.Sub(startedAt) < cfg.StartPeriod:
		// failures within the start period do not count
	default:
		n.FailingStreak++
		if n.FailingStreak >= cfg.Retries {
			n.Status = ctr.Unhealthy
		}
	}
	return n
}

// startHealth starts probing a running container (at start, and when the
// daemon reconnects to it); the prober stops with the run.
func (s *Service) startHealth(c *Container, m *monitor) {
	hc := c.Config.Healthcheck
	if !healthEnabled(hc) {
		return
	}
	c.setState(func(st *State) {
		if st.Health == nil {
			st.Health = &ctr.Health{Status: ctr.Starting, Log: []*ctr.HealthcheckResult{}}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	c.policy.mu.Lock()
	if c.policy.cancelProbe != nil {
		c.policy.cancelProbe()
	}
	c.policy.cancelProbe = cancel
	c.policy.mu.Unlock()
	go s.probeLoop(ctx, c, m, withDefaults(*hc))
}

func (s *Service) stopHealth(c *Container) {
	c.policy.mu.Lock()
	defer c.policy.mu.Unlock()
	if c.policy.cancelProbe != nil {
		c.policy.cancelProbe()
		c.policy.cancelProbe = nil
	}
}

func (s *Service) probeLoop(ctx context.Context, c *Container, m *monitor, cfg ctr.HealthConfig) {
	started := c.snapshot().StartedAt
	interval := func() time.Duration {
		st := c.snapshot()
		if time.Since(started) < cfg.StartPeriod && st.Health != nil && st.Health.Status == ctr.Starting {
			return cfg.StartInterval
		}
		return cfg.Interval
	}
	t := time.NewTimer(interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.done:
			return
		case <-t.C:
		}
		res := s.probe(ctx, c, cfg)
		if ctx.Err() != nil {
			return // the run ended during the probe
		}
		s.recordHealth(c, m, res, cfg, started)
		t.Reset(interval())
	}
}

// recordHealth stores a probe result, reports a status change as a
// health_status event, and restarts the container when it turned unhealthy
// and opted in.
func (s *Service) recordHealth(c *Container, m *monitor, res *ctr.HealthcheckResult, cfg ctr.HealthConfig, started time.Time) {
	var before, after ctr.HealthStatus
	c.setState(func(st *State) {
		if st.Health != nil {
			before = st.Health.Status
		}
		st.Health = nextHealth(st.Health, res, cfg, started)
		after = st.Health.Status
	})
	if err := s.store.save(c); err != nil {
		s.log.Warn("save health", "container", c.ID, "err", err)
	}
	if before == after {
		return
	}
	s.emit(c, events.Action(string(events.ActionHealthStatus)+": "+string(after)), nil)
	if after == ctr.Unhealthy && c.Config.Labels[LabelRestartUnhealthy] == "true" {
		go s.restartUnhealthy(c, m)
	}
}

// restartUnhealthy stops the run like `docker stop` without marking a
// manual stop; planRestart then starts it again.
func (s *Service) restartUnhealthy(c *Container, m *monitor) {
	sig := syscall.SIGTERM
	if c.Config.StopSignal != "" {
		if v, err := ParseSignal(c.Config.StopSignal); err == nil {
			sig = v
		}
	}
	wait := 10
	if c.Config.StopTimeout != nil {
		wait = *c.Config.StopTimeout
	}
	c.policy.mu.Lock()
	c.policy.unhealthy = true
	c.policy.mu.Unlock()
	s.log.Info("restarting unhealthy container", "container", c.ID)
	s.emitKill(c, sig)
	if err := stopWith(context.Background(), m, sig, wait); err != nil {
		s.log.Warn("stop unhealthy container", "container", c.ID, "err", err)
	}
}

// healthStatus is the value the ps "health" filter compares: "none" for a
// container without a health check.
func healthStatus(c *Container, st State) ctr.HealthStatus {
	if st.Health == nil || !healthEnabled(c.Config.Healthcheck) {
		return ctr.NoHealthcheck
	}
	return st.Health.Status
}

// healthSuffix is what ps appends to "Up …": " (healthy)",
// " (health: starting)", " (unhealthy)".
func healthSuffix(st State) string {
	switch {
	case st.Health == nil:
		return ""
	case st.Health.Status == ctr.Starting:
		return " (health: starting)"
	}
	return " (" + string(st.Health.Status) + ")"
}
