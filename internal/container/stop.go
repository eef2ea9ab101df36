package container

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// ParseSignal accepts "SIGTERM", "TERM", "term" or "15".
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("Invalid signal: %s: %w", s, errdefs.ErrInvalidArgument)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("Invalid signal: %s: %w", s, errdefs.ErrInvalidArgument)
}

// Kill sends signal (default SIGKILL) to the container's main process.
func (s *Service) Kill(ctx context.Context, ref, signal string) error {
	sig := syscall.SIGKILL
	if signal != "" {
		var err error
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	m := c.liveMonitor()
	if m == nil {
		return fmt.Errorf("Cannot kill container: %s: Container %s is not running: %w", ref, c.ID, errdefs.ErrConflict)
	}
	c.freeze.Lock()
	if err := m.shim.Kill(ctx, sig); err != nil {
		c.freeze.Unlock()
		return err
	}
	s.thawed(c)
	c.freeze.Unlock()
	s.emitKill(c, sig)
	if sig == syscall.SIGKILL {
		// Like Docker, a SIGKILL returns once the container is down, so a
		// `kill` followed by `inspect` sees it exited.
		select {
		case <-m.done:
		case <-time.After(killWait):
			return fmt.Errorf("Cannot kill container: %s: not stopped %v after SIGKILL: %w", ref, killWait, errdefs.ErrUnavailable)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// killWait bounds how long Kill waits for a SIGKILLed container to go down.
const killWait = 10 * time.Second

// liveMonitor returns the monitor of a running container, or nil.
func (c *Container) liveMonitor() *monitor {
	if !c.snapshot().Running() {
		return nil
	}
	c.mu.Lock()
	m := c.monitor
	c.mu.Unlock()
	if m == nil {
		return nil
	}
	select {
	case <-m.done:
		return nil
	default:
		return m
	}
}

// Stop sends the stop signal (request, image STOPSIGNAL, or SIGTERM), waits
// up to timeout seconds (request, config StopTimeout, or 10), then SIGKILL.
// A container that is not running yields errdefs.ErrNotModified.
func (s *Service) Stop(ctx context.Context, ref, signal string, timeout *int) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = c.Config.StopSignal
	}
	sig := syscall.SIGTERM
	if signal != "" {
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	wait := 10
	if c.Config.StopTimeout != nil {
		wait = *c.Config.StopTimeout
	}
	if timeout != nil {
		wait = *timeout
	}
	if stopped, err := s.stopRequested(c); err != nil || stopped {
		return err // a container waiting to restart is now just stopped
	}
	m := c.liveMonitor()
	if m == nil {
		return fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrNotModified)
	}
	s.emitKill(c, sig)
	if err := stopWith(ctx, m, sig, wait); err != nil {
		return err
	}
	s.emit(c, events.ActionStop, nil)
	return nil
}

func stopWith(ctx context.Context, m *monitor, sig syscall.Signal, wait int) error {
	if sig != syscall.SIGKILL {
		if err := m.shim.Kill(ctx, sig); err == nil && wait != 0 {
			var timer <-chan time.Time // nil: wait forever (-1)
			if wait > 0 {
				timer = time.After(time.Duration(wait) * time.Second)
			}
			select {
			case <-m.done:
				return nil
			case <-timer:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	_ = m.shim.Kill(ctx, syscall.SIGKILL)
	select {
	case <-m.done:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("container did not exit after SIGKILL: %w", errdefs.ErrUnavailable)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Restart stops (if running) and starts the container.
func (s *Service) Restart(ctx context.Context, ref, signal string, timeout *int) error {
	if err := s.Stop(ctx, ref, signal, timeout); err != nil && !errdefs.IsNotModified(err) {
		return err
	}
	if err := s.Start(ctx, ref); err != nil {
		return err
	}
	if c, err := s.store.get(ref); err == nil {
		s.emit(c, events.ActionRestart, nil)
	}
	return nil
}
