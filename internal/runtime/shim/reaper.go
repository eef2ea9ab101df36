package shim

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-engine/berth/internal/runtime"
)

// notifyChild subscribes to SIGCHLD before any child starts, so that no
// exit is missed.
func notifyChild() chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGCHLD)
	return ch
}

// waitExit reaps the container's init process and its exec processes (the
// shim is their subreaper) until init exits, and returns its status. It
// waits for those pids only, never for any child, so os/exec commands
// (runc exec, pause, resume) may run meanwhile.
func (s *shim) waitExit() runtime.ExitStatus {
	for {
		s.reapExecs()
		reapRuntimeOrphans()
		if st, ok := s.reap(); ok {
			s.settleExecs()
			return st
		}
		<-s.sigchld
	}
}

// reap collects the init process once it exited; true then. It holds s.mu
// so that kill never signals a reaped (reusable) pid.
func (s *shim) reap() (runtime.ExitStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(s.pid, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			// Not our child (should not happen with the subreaper): the
			// status is lost, report it as Docker reports unknown exits.
			slog.Warn("container init is not a child of the shim", "pid", s.pid)
			s.dead = true
			return runtime.ExitStatus{Code: 255, ExitedAt: time.Now().UTC()}, true
		}
		if err != nil || pid <= 0 {
			return runtime.ExitStatus{}, false
		}
		if pid == s.pid {
			s.dead = true
			return exitStatus(ws), true
		}
	}
}

func exitStatus(ws unix.WaitStatus) runtime.ExitStatus {
	st := runtime.ExitStatus{Code: ws.ExitStatus(), ExitedAt: time.Now().UTC()}
	if ws.Signaled() {
		st.Signal = int(ws.Signal())
		st.Code = 128 + st.Signal
	}
	return st
}
