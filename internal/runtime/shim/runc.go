package shim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/berth-engine/berth/internal/runtime"
)

// run creates the container's stdio and runs `runc run --detach` (or
// create and start, see createStarts), returning the init process's pid.
func (s *shim) run() (int, error) {
	io, err := s.setupIO()
	if err != nil {
		return 0, err
	}
	defer io.closeChildEnds()
	args := []string{"run", "--detach", "--pid-file", s.bundlePath(pidFile)}
	if s.createStart {
		args = []string{"create", "--pid-file", s.bundlePath(pidFile)}
	}
	config, weightFile, weights, err := s.bfqWeights()
	if err != nil {
		return 0, err
	}
	if config != "" {
		args = append(args, "--config", config)
	}
	if io.console != nil {
		args = append(args, "--console-socket", io.console.path)
	}
	args = append(args, "--bundle", s.opts.Bundle, s.opts.ID)
	os.Remove(s.bundlePath(runcLog)) // the error we report must be this run's
	logArgs := []string{"--log", s.bundlePath(runcLog), "--log-format", "json"}
	cmd := s.runtimeCmd(append(logArgs, args...)...)
	var stderr bytes.Buffer
	io.attach(cmd)
	if io.console != nil {
		cmd.Stderr = &stderr
	}
	if err := runtime.RunCmd(cmd, s.hideUnified); err != nil {
		return 0, s.runtimeError(err, stderr.Bytes())
	}
	if io.console != nil {
		if err := s.receivePty(io.console); err != nil {
			return 0, err
		}
	}
	pid, err := readPid(s.bundlePath(pidFile))
	if err != nil || !s.createStart {
		return pid, err
	}
	if err := writeWeights(weightFile, weights); err != nil {
		return 0, err
	}
	if s.opts.HoldStart {
		return pid, nil // startHeld, on the daemon's word
	}
	if err := s.startCreated(); err != nil {
		return 0, err
	}
	return pid, nil
}

// startCreated lets the created init run its process: through the exec
// fifo, else `runtime start`.
func (s *shim) startCreated() error {
	if err := startByFifo(s.opts.RuntimeRoot, s.opts.ID); err == nil {
		return nil
	} else {
		slog.Debug("starting through the runtime", "err", err)
	}
	start := s.runtimeCmd("--log", s.bundlePath(runcLog), "--log-format", "json", "start", s.opts.ID)
	if out, err := runtime.CombinedOutputCmd(start, s.hideUnified); err != nil {
		return s.runtimeError(err, out)
	}
	return nil
}

// holdTimeout bounds how long a held container waits for the daemon's
// start: a daemon that died meanwhile never sends it, and the container is
// killed rather than left created for good.
const holdTimeout = 10 * time.Second

// hold arms the hold's timeout, once the init's pid is known.
func (s *shim) hold() {
	s.holdTimer = time.AfterFunc(holdTimeout, func() {
		s.startOnce.Do(func() {
			s.startErr = fmt.Errorf("container %s: not started within %s: %w", s.opts.ID, holdTimeout, errdefs.ErrUnavailable)
			_ = s.kill(unix.SIGKILL)
		})
	})
}

// startHeld starts a held container once; later calls return the first
// call's result.
func (s *shim) startHeld() error {
	if !s.opts.HoldStart || !s.createStart {
		return nil // started by run already
	}
	s.startOnce.Do(func() {
		s.holdTimer.Stop()
		s.startErr = s.startCreated()
	})
	return s.startErr
}

// startByFifo starts a container that crun created the way `crun start`
// does it, without running crun once more (2.5 ms, a whole dynamic link):
// crun's created init blocks reading <state root>/<id>/exec.fifo; start
// opens it for writing, unlinks it (its absence is what makes `crun state`
// say running) and writes one byte. crun has used this protocol since its
// first release; Berth gives crun no poststart hooks and no notify socket,
// the only other things `crun start` handles. Any error leaves the fifo in
// place and the caller falls back to `crun start`; the non-blocking open
// fails at once (ENXIO) when no init is reading.
func startByFifo(root, id string) error {
	fifo := filepath.Join(root, id, "exec.fifo")
	fd, err := unix.Open(fifo, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", fifo, err)
	}
	defer unix.Close(fd)
	if err := unix.Unlink(fifo); err != nil {
		return fmt.Errorf("unlink %s: %w", fifo, err)
	}
	if _, err := unix.Write(fd, []byte{0}); err != nil {
		return fmt.Errorf("write %s: %w", fifo, err)
	}
	return nil
}

// createStarts reports whether the runtime at path must create and start a
// container in two steps. crun's `run --detach` reaps an init that exits
// before crun itself does, so the shim (its subreaper) would never see that
// exit; after `create` the init waits for `start`, and crun has exited.
func createStarts(path string) bool {
	return runtime.IsCrun(path)
}

// runtimeCmd runs the OCI runtime; args may start with global flags.
func (s *shim) runtimeCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(s.runtimeExe, append([]string{"--root", s.opts.RuntimeRoot}, args...)...)
	cmd.Args[0] = filepath.Base(s.opts.Runtime) // not /proc/self/fd/N
	cmd.Dir = "/"                               // the bundle may be removed while runc delete runs
	return cmd
}

// runtimeExe is the sealed copy of the runtime that the daemon passed, or
// the runtime's own binary when there is none or it is unusable.
func runtimeExe(opts runtime.StartOptions) string {
	if opts.RuntimeFd <= 0 {
		return opts.Runtime
	}
	path, fd, err := runtime.KeepRuntimeFd(opts.RuntimeFd)
	if err != nil {
		slog.Warn("running the runtime's own binary", "err", err)
		return opts.Runtime
	}
	if fd == runtime.RuntimeFd && opts.RuntimeLink != "" {
		return opts.RuntimeLink // the daemon's link, named like the runtime
	}
	// Descriptor 100 was taken: a link of our own, in the bundle.
	link := filepath.Join(opts.Bundle, filepath.Base(opts.Runtime))
	os.Remove(link)
	if err := os.Symlink(path, link); err != nil {
		return path
	}
	return link
}

// runtimeDelete removes the runtime's state and the container's cgroup. It
// logs to stderr (captured), not to the bundle, which may be gone already.
func (s *shim) runtimeDelete() {
	cmd := s.runtimeCmd("delete", "--force", s.opts.ID)
	if out, err := runtime.CleanupOutputCmd(cmd, s.hideUnified); err != nil {
		slog.Warn("runtime delete", "err", err, "out", string(out))
	}
}

func (s *shim) bundlePath(name string) string {
	return filepath.Join(s.opts.Bundle, name)
}

// runtimeError builds the start error from the runtime's last logged error,
// passing its message through unchanged (the daemon maps it to 126/127).
func (s *shim) runtimeError(err error, stderr []byte) error {
	if msg := lastLoggedError(s.bundlePath(runcLog)); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	if line := lastLine(stderr); line != "" {
		return fmt.Errorf("%s", line)
	}
	return fmt.Errorf("%s run: %w", s.opts.Runtime, err)
}

// lastLoggedError returns the message of the last error in runc's JSON log.
func lastLoggedError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var msg string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1024*1024)
	for sc.Scan() {
		var e struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && (e.Level == "error" || e.Level == "fatal") {
			msg = e.Msg
		}
	}
	return msg
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("runtime pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("runtime pid file %q: %w", data, errdefs.ErrUnknown)
	}
	return pid, nil
}
