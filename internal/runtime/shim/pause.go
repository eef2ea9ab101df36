package shim

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"

	"github.com/berth-engine/berth/internal/runtime"
)

// pause freezes every process of the container (runc pause: the cgroup
// freezer).
func (s *shim) pause() error {
	s.freezeMu.Lock()
	defer s.freezeMu.Unlock()
	if s.exitedAlready() {
		return fmt.Errorf("container %s is not running: %w", s.opts.ID, errdefs.ErrConflict)
	}
	if err := s.runtimeRun("pause"); err != nil {
		return err
	}
	s.setPaused(true)
	return nil
}

// resume thaws a paused container.
func (s *shim) resume() error {
	s.freezeMu.Lock()
	defer s.freezeMu.Unlock()
	return s.resumeLocked()
}

func (s *shim) resumeLocked() error {
	if err := s.runtimeRun("resume"); err != nil {
		return err
	}
	s.setPaused(false)
	return nil
}

// killThaw signals the container and, when it is paused, thaws it so that
// the signal is delivered (Docker's stop and kill of a paused container).
func (s *shim) killThaw(sig syscall.Signal) error {
	s.freezeMu.Lock()
	defer s.freezeMu.Unlock()
	if err := s.kill(sig); err != nil {
		return err
	}
	if s.isPaused() {
		return s.resumeLocked()
	}
	return nil
}

func (s *shim) runtimeRun(verb string) error {
	out, err := runtime.CombinedOutputCmd(s.runtimeCmd(verb, s.opts.ID), s.hideUnified)
	if err != nil {
		return fmt.Errorf("%s %s: %s: %w", s.opts.Runtime, verb, strings.TrimSpace(string(out)), errdefs.ErrUnknown)
	}
	return nil
}

func (s *shim) setPaused(p bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = p
}

func (s *shim) isPaused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}
