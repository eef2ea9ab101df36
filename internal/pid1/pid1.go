package pid1

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Main runs the init with the arguments that follow the mode word
// ("--" then the command); it returns the exit code.
func Main(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "docker-init: no command given")
		return 1
	}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs) // every catchable signal, before the child exists
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "docker-init: %v\n", err)
		return 127
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: false},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "docker-init: exec %s: %v\n", args[0], err)
		if errors.Is(err, unix.EACCES) {
			return 126
		}
		return 127
	}
	return loop(pid, sigs)
}

// loop forwards signals to the child and reaps on SIGCHLD until the child
// has exited.
func loop(child int, sigs <-chan os.Signal) int {
	for sig := range sigs {
		switch sig {
		case unix.SIGCHLD:
			if code, done := reap(child); done {
				return code
			}
		case unix.SIGURG: // the Go runtime's preemption signal
		default:
			_ = unix.Kill(child, sig.(syscall.Signal))
		}
	}
	return 1
}

// reap collects every exited child; done once the command was among them.
func reap(child int) (code int, done bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return code, done
		}
		if pid == child {
			done = true
			code = ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
	}
}
