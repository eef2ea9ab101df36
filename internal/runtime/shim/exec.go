package shim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/berth-engine/berth/internal/runtime"
)

// execProc is one process started in the running container with
// `runc exec --detach`. Like the container's init it has its own pipes or
// pty, output held until released, attach streams and an exit status; the
// shim reaps it (it is reparented to the shim when runc exits). Its output
// goes to attached streams only, never to the container's log.
type execProc struct {
	id       string
	tty      bool
	outputs  map[string]*output
	released chan struct{}
	release1 sync.Once
	exited   chan struct{} // closed once status is set and output drained
	status   runtime.ExitStatus
	clients  sync.WaitGroup

	stdinMu sync.Mutex
	stdin   *os.File // pipe write end or pty master; nil once closed
	pty     *os.File

	pid  int  // guarded by shim.mu
	dead bool // guarded by shim.mu
}

// validExecID accepts 1–128 of [a-zA-Z0-9_-] (no regexp: the shim's start
// path pays for every package-level initialisation).
func validExecID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func newExecProc(id string, tty bool) *execProc {
	return &execProc{
		id: id, tty: tty,
		outputs:  map[string]*output{stdoutStream: newOutput(stdoutStream), stderrStream: newOutput(stderrStream)},
		released: make(chan struct{}),
		exited:   make(chan struct{}),
	}
}

func (e *execProc) release() { e.release1.Do(func() { close(e.released) }) }

// doExec serves the requests that name an exec process.
func (s *shim) doExec(req runtime.Request) runtime.Response {
	if req.Op == runtime.OpExec {
		pid, err := s.startExec(req)
		if err != nil {
			return runtime.ErrorResponse(err)
		}
		return runtime.Response{Pid: pid}
	}
	e, err := s.getExec(req.Exec)
	if err != nil {
		return runtime.ErrorResponse(err)
	}
	switch req.Op {
	case runtime.OpRelease:
		e.release()
	case runtime.OpResize:
		err = e.resize(req.Width, req.Height)
	case runtime.OpWait:
		<-e.exited
		st := e.status
		s.removeExec(e.id)
		return runtime.Response{Exit: &st}
	case runtime.OpInfo:
		s.mu.Lock()
		defer s.mu.Unlock()
		return runtime.Response{Pid: e.pid}
	default:
		err = fmt.Errorf("op %q on an exec: %w", req.Op, errdefs.ErrNotImplemented)
	}
	if err != nil {
		return runtime.ErrorResponse(err)
	}
	return runtime.Response{}
}

func (s *shim) getExec(id string) (*execProc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.execs[id]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("no such exec process %s: %w", id, errdefs.ErrNotFound)
}

func (s *shim) addExec(e *execProc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.dead:
		return fmt.Errorf("container %s is not running: %w", s.opts.ID, errdefs.ErrConflict)
	case s.paused:
		return fmt.Errorf("container %s is paused: %w", s.opts.ID, errdefs.ErrConflict)
	}
	if s.execs == nil {
		s.execs = map[string]*execProc{}
	}
	if _, ok := s.execs[e.id]; ok {
		return fmt.Errorf("exec %s already exists: %w", e.id, errdefs.ErrAlreadyExists)
	}
	s.execs[e.id] = e
	return nil
}

func (s *shim) removeExec(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.execs, id)
}

// startExec runs the process and returns its pid; output is held until
// the exec is released (by the daemon, or after releaseTimeout).
func (s *shim) startExec(req runtime.Request) (int, error) {
	if !validExecID(req.Exec) {
		return 0, fmt.Errorf("invalid exec ID %q: %w", req.Exec, errdefs.ErrInvalidArgument)
	}
	var proc struct{ Terminal bool }
	if err := json.Unmarshal(req.Process, &proc); err != nil {
		return 0, fmt.Errorf("exec process: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	e := newExecProc(req.Exec, proc.Terminal)
	if err := s.addExec(e); err != nil {
		return 0, err
	}
	pid, err := s.runExec(e, req)
	if err != nil {
		s.removeExec(e.id)
		for _, o := range e.outputs {
			o.abort()
		}
		return 0, err
	}
	s.mu.Lock()
	e.pid = pid
	s.mu.Unlock()
	s.reapExecs() // it may have exited already, its SIGCHLD consumed
	go func() {
		time.Sleep(releaseTimeout)
		e.release()
	}()
	return pid, nil
}

// runExec sets up the exec's stdio and runs `runc exec --detach`.
func (s *shim) runExec(e *execProc, req runtime.Request) (int, error) {
	procFile, pidFile, logFile := s.bundlePath("exec-"+e.id+".json"), s.bundlePath("exec-"+e.id+".pid"), s.bundlePath("exec-"+e.id+".log")
	defer os.Remove(procFile)
	defer os.Remove(pidFile)
	defer os.Remove(logFile)
	// The bundle is on the exec-root tmpfs and the file lives for the
	// duration of runc exec only: a plain write is enough.
	if err := os.WriteFile(procFile, req.Process, 0o600); err != nil {
		return 0, err
	}
	io, err := e.setupIO(req.Stdin)
	if err != nil {
		return 0, err
	}
	defer io.closeChildEnds()
	args := []string{"--log", logFile, "--log-format", "json", "exec", "--detach", "--pid-file", pidFile, "--process", procFile}
	if io.console != nil {
		args = append(args, "--console-socket", io.console.path)
	}
	cmd := s.runtimeCmd(append(args, s.opts.ID)...)
	var stderr bytes.Buffer
	io.attach(cmd)
	if io.console != nil {
		cmd.Stderr = &stderr
	}
	if err := runtime.RunCmd(cmd, s.hideUnified); err != nil {
		return 0, execError(err, logFile, stderr.Bytes())
	}
	if io.console != nil {
		if err := e.receivePty(io.console, req); err != nil {
			return 0, err
		}
	}
	return readPid(pidFile)
}

// execError passes the runtime's message through (the daemon maps it to
// 126/127 as for a container's start).
func execError(err error, logFile string, stderr []byte) error {
	if msg := lastLoggedError(logFile); msg != "" {
		return errors.New(msg)
	}
	if line := lastLine(stderr); line != "" {
		return errors.New(line)
	}
	return fmt.Errorf("runtime exec: %w", err)
}

func (e *execProc) setupIO(stdin bool) (*stdio, error) {
	io := &stdio{}
	if e.tty {
		cs, err := newConsoleSocket()
		if err != nil {
			return nil, err
		}
		io.console = cs
		return io, nil
	}
	if stdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		e.stdin = w
		io.child[0] = r
	}
	for i, name := range []string{stdoutStream, stderrStream} {
		r, w, err := os.Pipe()
		if err != nil {
			io.closeChildEnds()
			return nil, err
		}
		io.child[i+1] = w
		go e.outputs[name].pump(r, e.released)
	}
	return io, nil
}

func (e *execProc) receivePty(cs *consoleSocket, req runtime.Request) error {
	f, err := cs.receive()
	if err != nil {
		return err
	}
	e.stdinMu.Lock()
	e.pty = f
	if req.Stdin {
		e.stdin = f
	}
	e.stdinMu.Unlock()
	if req.Width > 0 && req.Height > 0 {
		if err := e.resize(req.Width, req.Height); err != nil {
			slog.Warn("exec console size", "exec", e.id, "err", err)
		}
	}
	go func() {
		e.outputs[stdoutStream].pump(f, e.released)
		e.outputs[stderrStream].end()
	}()
	return nil
}

func (e *execProc) resize(width, height uint16) error {
	e.stdinMu.Lock()
	pty := e.pty
	e.stdinMu.Unlock()
	if pty == nil {
		return nil
	}
	rc, err := pty.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		ierr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width})
	})
	if err != nil {
		return err
	}
	return ierr
}

// attachExec turns conn into the raw stream of an exec process.
func (s *shim) attachExec(conn net.Conn, br *bufio.Reader, id, stream string) {
	e, err := s.getExec(id)
	if err != nil {
		reply(conn, runtime.ErrorResponse(err))
		conn.Close()
		return
	}
	if stream == stdinStream {
		e.attachStdin(conn, br)
		return
	}
	o, ok := e.outputs[stream]
	if !ok {
		reply(conn, runtime.ErrorResponse(fmt.Errorf("no stream %q: %w", stream, errdefs.ErrInvalidArgument)))
		conn.Close()
		return
	}
	if !o.attachReplying(conn, &e.clients) {
		conn.Close()
	}
}

// attachStdin copies conn into the exec's stdin; at EOF a pipe is closed
// (docker exec -i: EOF on the client is EOF inside), a pty is left open.
func (e *execProc) attachStdin(conn net.Conn, br *bufio.Reader) {
	defer conn.Close()
	e.stdinMu.Lock()
	in := e.stdin
	e.stdinMu.Unlock()
	if in == nil {
		reply(conn, runtime.ErrorResponse(fmt.Errorf("exec stdin is not open: %w", errdefs.ErrConflict)))
		return
	}
	reply(conn, runtime.Response{})
	io.Copy(in, br) //nolint:errcheck // the process may have exited
	if !e.tty {
		e.closeStdin()
	}
}

func (e *execProc) closeStdin() {
	e.stdinMu.Lock()
	defer e.stdinMu.Unlock()
	if e.stdin != nil && e.stdin != e.pty {
		e.stdin.Close()
	}
	e.stdin = nil
}

// reapExecs collects exited exec processes and finishes each in the
// background (drain output, answer waits).
func (s *shim) reapExecs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.execs {
		if e.pid <= 0 || e.dead {
			continue
		}
		var ws unix.WaitStatus
		pid, err := unix.Wait4(e.pid, &ws, unix.WNOHANG, nil)
		for errors.Is(err, unix.EINTR) {
			pid, err = unix.Wait4(e.pid, &ws, unix.WNOHANG, nil)
		}
		switch {
		case errors.Is(err, unix.ECHILD):
			slog.Warn("exec process is not a child of the shim", "exec", e.id, "pid", e.pid)
			e.dead = true
			go e.finish(runtime.ExitStatus{Code: 255, ExitedAt: time.Now().UTC()})
		case err == nil && pid == e.pid:
			e.dead = true
			go e.finish(exitStatus(ws))
		}
	}
}

// finish drains the exec's output, ends its attach streams and records
// its status.
func (e *execProc) finish(st runtime.ExitStatus) {
	<-e.released // the daemon's release, or releaseTimeout
	t := time.AfterFunc(drainTimeout, func() {
		for _, o := range e.outputs {
			o.abort()
		}
	})
	for _, o := range e.outputs {
		<-o.done
	}
	t.Stop()
	e.closeStdin()
	done := make(chan struct{})
	go func() { e.clients.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(flushTimeout):
	}
	e.status = st
	close(e.exited)
}

// settleExecs gives the exec processes, killed with the container's pid
// namespace when its init exited, a moment to be reaped so that their
// waiters get a status.
func (s *shim) settleExecs() {
	deadline := time.After(time.Second)
	for s.execsAlive() {
		select {
		case <-s.sigchld:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return
		}
		s.reapExecs()
	}
}

func (s *shim) execsAlive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.execs {
		if e.pid > 0 && !e.dead {
			return true
		}
	}
	return false
}
