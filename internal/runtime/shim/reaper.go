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

// waitExit reaps children (the shim is their subreaper) until the
// container's init process exits, and returns its status. It must only run
// while no os/exec command is in flight, as it waits for any child.
func (s *shim) waitExit() runtime.ExitStatus {
	for {
		if st, ok := s.reap(); ok {
			return st
		}
		<-s.sigchld
	}
}

// reap collects every exited child; true once the init process was among
// them. It holds s.mu so that kill never signals a reaped (reusable) pid.
func (s *shim) reap() (runtime.ExitStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
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
