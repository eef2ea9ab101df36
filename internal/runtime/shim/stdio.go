package shim

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// stdio is the container's side of its standard streams while runc runs.
type stdio struct {
	child   [3]*os.File // runc's (and without a tty the container's) stdin/out/err
	console *consoleSocket
}

// setupIO creates pipes (or the console socket with a tty), registering
// the shim's ends as s.stdin and s.outputs.
func (s *shim) setupIO() (*stdio, error) {
	io := &stdio{}
	if s.opts.Tty {
		cs, err := newConsoleSocket()
		if err != nil {
			return nil, err
		}
		io.console = cs // stdout is the pty once received, stderr stays empty
		return io, nil
	}
	if s.opts.OpenStdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		s.setStdin(w, nil)
		io.child[0] = r
	}
	for i, name := range []string{stdoutStream, stderrStream} {
		r, w, err := os.Pipe()
		if err != nil {
			io.closeChildEnds()
			return nil, err
		}
		io.child[i+1] = w
		go s.outputs[name].pump(r, s.released)
	}
	return io, nil
}

// attach gives cmd the container's ends. A missing end must stay nil in
// cmd (os/exec then opens /dev/null): a nil *os.File there would start the
// runtime with that descriptor closed, and crun's first socket would take
// it (its console socket as fd 1, which the pty then replaces).
func (io *stdio) attach(cmd *exec.Cmd) {
	if f := io.child[0]; f != nil {
		cmd.Stdin = f
	}
	if f := io.child[1]; f != nil {
		cmd.Stdout = f
	}
	if f := io.child[2]; f != nil {
		cmd.Stderr = f
	}
}

// closeChildEnds closes the shim's copies of the container's ends, so that
// output reaches EOF when the container's processes are gone.
func (io *stdio) closeChildEnds() {
	for _, f := range io.child {
		if f != nil {
			f.Close()
		}
	}
	if io.console != nil {
		io.console.close()
	}
}

// consoleSocket receives the pty master from runc (--console-socket).
type consoleSocket struct {
	dir, path string
	ln        *net.UnixListener
}

func newConsoleSocket() (*consoleSocket, error) {
	dir, err := os.MkdirTemp("", "berth-pty-") // short path, mode 0700
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "c.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return &consoleSocket{dir: dir, path: path, ln: ln}, nil
}

func (c *consoleSocket) close() {
	c.ln.Close()
	os.RemoveAll(c.dir)
}

// receivePty takes the pty master runc sent and starts copying its output.
func (s *shim) receivePty(cs *consoleSocket) error {
	f, err := cs.receive()
	if err != nil {
		return err
	}
	if s.opts.OpenStdin {
		s.setStdin(f, f)
	} else {
		s.setStdin(nil, f)
	}
	go func() {
		s.outputs[stdoutStream].pump(f, s.released)
		s.outputs[stderrStream].end()
	}()
	return nil
}

// receive accepts runc's connection and reads the fd it passes.
func (c *consoleSocket) receive() (*os.File, error) {
	c.ln.SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := c.ln.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receive pty: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive pty: bad control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive pty: no fd")
	}
	unix.CloseOnExec(fds[0])
	if err := unix.SetNonblock(fds[0], true); err != nil { // pollable: Close unblocks Read
		unix.Close(fds[0])
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), "pty"), nil
}

// resize sets the pty's window size; without a tty there is nothing to do.
func (s *shim) resize(width, height uint16) error {
	s.stdinMu.Lock()
	pty := s.pty
	s.stdinMu.Unlock()
	if pty == nil {
		return nil
	}
	if s.exitedAlready() {
		return fmt.Errorf("container %s: process already finished: %w", s.opts.ID, errdefs.ErrNotFound)
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

func (s *shim) setStdin(stdin, pty *os.File) {
	s.stdinMu.Lock()
	defer s.stdinMu.Unlock()
	s.stdin, s.pty = stdin, pty
}
