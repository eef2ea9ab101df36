package shim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/containerd/errdefs"

	"github.com/berth-engine/berth/internal/runtime"
)

// serve accepts connections until the listener is closed.
func (s *shim) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(conn) {
			conn.Close()
			return
		}
		go s.handle(conn)
	}
}

// track registers conn to be closed at exit; false once the shim is closing.
func (s *shim) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

func (s *shim) untrack(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
}

// handle answers requests on conn until it closes or turns into an attach
// stream.
func (s *shim) handle(conn net.Conn) {
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			s.untrack(conn)
			conn.Close()
			return
		}
		var req runtime.Request
		if err := json.Unmarshal(line, &req); err != nil {
			reply(conn, runtime.ErrorResponse(fmt.Errorf("bad request: %v: %w", err, errdefs.ErrInvalidArgument)))
			continue
		}
		if req.Op == runtime.OpAttach && req.Exec != "" {
			s.attachExec(conn, br, req.Exec, req.Stream)
			return
		}
		if req.Op == runtime.OpAttach {
			s.attach(conn, br, req.Stream)
			return
		}
		reply(conn, s.do(req))
	}
}

func (s *shim) do(req runtime.Request) runtime.Response {
	if req.Exec != "" {
		return s.doExec(req)
	}
	var err error
	switch req.Op {
	case runtime.OpInfo:
		return s.info()
	case runtime.OpRelease:
		s.release()
	case runtime.OpStart:
		err = s.startHeld()
	case runtime.OpKill:
		err = s.killThaw(syscall.Signal(req.Signal))
	case runtime.OpPause:
		err = s.pause()
	case runtime.OpResume:
		err = s.resume()
	case runtime.OpResize:
		err = s.resize(req.Width, req.Height)
	case runtime.OpWait:
		<-s.exited
		s.mu.Lock()
		st := s.status
		s.mu.Unlock()
		return runtime.Response{Exit: &st}
	default:
		err = fmt.Errorf("unknown op %q: %w", req.Op, errdefs.ErrNotImplemented)
	}
	if err != nil {
		return runtime.ErrorResponse(err)
	}
	return runtime.Response{}
}

func reply(conn net.Conn, r runtime.Response) {
	data, _ := json.Marshal(r)
	conn.Write(append(data, '\n')) //nolint:errcheck // a gone client reads nothing
}

// attach turns conn into the raw stream named stream.
func (s *shim) attach(conn net.Conn, br *bufio.Reader, stream string) {
	if stream == stdinStream {
		s.attachStdin(conn, br)
		return
	}
	o, ok := s.outputs[stream]
	if !ok {
		reply(conn, runtime.ErrorResponse(fmt.Errorf("no stream %q: %w", stream, errdefs.ErrInvalidArgument)))
		conn.Close()
		return
	}
	if !o.attachReplying(conn, &s.clientsWG) {
		conn.Close() // the stream already ended: EOF
	}
}

// attachStdin copies conn into the container's stdin. At EOF the stdin is
// closed when StdinOnce (docker run -i: EOF on the client is EOF inside);
// a tty is never closed, as that would hang up the container.
func (s *shim) attachStdin(conn net.Conn, br *bufio.Reader) {
	defer conn.Close()
	s.stdinMu.Lock()
	in := s.stdin
	s.stdinMu.Unlock()
	if in == nil {
		reply(conn, runtime.ErrorResponse(fmt.Errorf("container stdin is not open: %w", errdefs.ErrConflict)))
		return
	}
	reply(conn, runtime.Response{})
	io.Copy(in, br) //nolint:errcheck // the container may have exited
	if s.opts.StdinOnce && !s.opts.Tty {
		s.stdinMu.Lock()
		if s.stdin != nil {
			s.stdin.Close()
			s.stdin = nil
		}
		s.stdinMu.Unlock()
	}
}
