package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/berth-engine/berth/internal/logs/jsonfile"
	"github.com/berth-engine/berth/internal/runtime"
)

const (
	releaseTimeout = 3 * time.Second    // release output without the daemon's word
	drainTimeout   = 5 * time.Second    // wait for output EOF after the container exited
	flushTimeout   = 2 * time.Second    // let attach clients take their last bytes
	pidFile        = "init.pid"         // in the bundle
	runcLog        = "runtime.log"      // runc --log, in the bundle
	stdinStream    = "stdin"            // attach stream names
	stdoutStream   = "stdout"           //
	stderrStream   = "stderr"           //
	exitPerm       = os.FileMode(0o600) // exit.json
	sockDirPerm    = os.FileMode(0o700) // parent of the shim socket
)

type shim struct {
	opts runtime.StartOptions
	// hideUnified runs the OCI runtime without the hybrid host's cgroup2
	// mount (crun; see runtime.HidesUnified).
	hideUnified bool
	createStart bool // create, then start (crun; see createStarts)
	// runtimeExe is what runtimeCmd executes: the sealed copy of the
	// runtime the daemon passed (runtime.KeepRuntimeFd), else opts.Runtime.
	runtimeExe string
	log        *jsonfile.Writer // nil: no log

	stdinMu sync.Mutex
	stdin   *os.File // container stdin (pipe write end or pty master); nil if closed
	pty     *os.File // pty master with Tty

	outputs   map[string]*output
	ln        *net.UnixListener
	sigchld   chan os.Signal
	released  chan struct{}
	release1  sync.Once
	exited    chan struct{} // closed once exit.json is written
	clientsWG sync.WaitGroup

	mu     sync.Mutex
	pid    int
	dead   bool // pid reaped: never signal it again
	status runtime.ExitStatus
	conns  map[net.Conn]struct{}
	execs  map[string]*execProc // exec processes by exec ID (exec.go)
	paused bool                 // frozen with runc pause

	// A held start (StartOptions.HoldStart): startHeld runs once, or the
	// hold's timer kills the container.
	startOnce sync.Once
	startErr  error
	holdTimer *time.Timer

	// freezeMu serializes pause, resume and killThaw, so that a kill never
	// checks paused while a runc pause is half done (the signal would stay
	// pending in a frozen cgroup).
	freezeMu sync.Mutex
}

func newShim(opts runtime.StartOptions) *shim {
	return &shim{
		opts:        opts,
		hideUnified: runtime.HidesUnified(opts.Runtime),
		createStart: createStarts(opts.Runtime),
		runtimeExe:  runtimeExe(opts),
		// Fixed at construction: the server reads it without a lock.
		outputs:  map[string]*output{stdoutStream: newOutput(stdoutStream), stderrStream: newOutput(stderrStream)},
		released: make(chan struct{}),
		exited:   make(chan struct{}),
		conns:    map[net.Conn]struct{}{},
	}
}

// start performs the start sequence up to the container's pid.
func (s *shim) start() (int, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("subreaper: %w", err)
	}
	s.sigchld = notifyChild()
	// Opening the log and the socket costs file creations: do it while
	// runc runs, both are needed only once the pid is reported.
	prepared := make(chan error, 1)
	go func() { prepared <- s.prepare() }()
	pid, err := s.run()
	if perr := <-prepared; err == nil && perr != nil {
		err = perr // runc started the container: abort deletes it
	}
	if err != nil {
		return 0, err
	}
	if s.log != nil {
		for _, o := range s.outputs {
			o.setLog(s.log)
		}
	}
	s.mu.Lock()
	s.pid = pid
	s.mu.Unlock()
	if s.opts.HoldStart && s.createStart {
		s.hold()
	}
	return pid, nil
}

// prepare opens the log and listens on the shim's socket. It also removes
// the exit status of the container's previous run, which would otherwise be
// taken for this run's if the shim died.
func (s *shim) prepare() error {
	if err := os.Remove(filepath.Join(s.opts.Bundle, runtime.ExitFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if s.opts.LogPath != "" {
		w, err := jsonfile.NewWriter(s.opts.LogPath, s.opts.LogMaxSize, s.opts.LogMaxFiles)
		if err != nil {
			return err
		}
		s.log = w
	}
	return s.listen()
}

func (s *shim) listen() error {
	if err := os.MkdirAll(filepath.Dir(s.opts.SocketPath), sockDirPerm); err != nil {
		return err
	}
	os.Remove(s.opts.SocketPath) // a previous shim's leftover
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.opts.SocketPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("shim socket: %w", err)
	}
	s.ln = ln
	go s.serve()
	return nil
}

// abort undoes a failed start.
func (s *shim) abort() {
	s.runtimeDelete()
	s.closeOutputs()
	if s.log != nil {
		s.log.Close()
	}
	if s.ln != nil {
		s.ln.Close()
	}
}

func (s *shim) release() {
	s.release1.Do(func() { close(s.released) })
}

// kill signals the container's init process unless it was reaped.
func (s *shim) kill(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead || s.pid == 0 {
		return fmt.Errorf("container %s: process already finished: %w", s.opts.ID, errdefs.ErrNotFound)
	}
	if err := unix.Kill(s.pid, sig); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("container %s: process already finished: %w", s.opts.ID, errdefs.ErrNotFound)
		}
		return fmt.Errorf("kill %d: %w", s.pid, err)
	}
	return nil
}

// finish runs the exit sequence and returns when the shim may exit.
func (s *shim) finish(st runtime.ExitStatus) {
	s.drain()
	if s.log != nil {
		if err := s.log.Close(); err != nil {
			slog.Warn("close log", "err", err)
		}
	}
	s.closeOutputs()
	st.OOMKilled = s.oomKilled()
	s.mu.Lock()
	s.status = st
	s.mu.Unlock()
	close(s.exited) // waiters get the status now
	// exit.json is for a daemon that was not connected: written before
	// the socket closes, so that whoever finds no shim finds the file.
	// Atomic for readers but not fsynced: the bundle is in the exec root,
	// which a host crash empties anyway (no container survives one), and
	// the page cache keeps the file across a daemon or shim crash.
	if data, err := json.Marshal(st); err != nil {
		slog.Warn("encode exit status", "err", err)
	} else if err := atomicfile.Replace(filepath.Join(s.opts.Bundle, runtime.ExitFile), data, exitPerm); err != nil {
		slog.Warn("write exit status", "err", err)
	}
	s.runtimeDelete()
	s.waitClients()
	s.ln.Close()
	s.closeConns()
}

// drain waits for the output pumps to reach EOF, forcing them after
// drainTimeout (a process outside the container's pid namespace may hold
// the pipe open).
func (s *shim) drain() {
	t := time.AfterFunc(releaseTimeout+drainTimeout, func() {
		for _, o := range s.outputs {
			o.abort()
		}
	})
	defer t.Stop()
	for _, o := range s.outputs {
		<-o.done
	}
}

func (s *shim) waitClients() {
	done := make(chan struct{})
	go func() { s.clientsWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(flushTimeout):
	}
}

func (s *shim) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// closeOutputs ends every output stream (idempotent).
func (s *shim) closeOutputs() {
	for _, o := range s.outputs {
		o.end()
	}
}

func (s *shim) info() runtime.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return runtime.Response{Pid: s.pid, Bundle: s.opts.Bundle}
}

func (s *shim) exitedAlready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead
}
