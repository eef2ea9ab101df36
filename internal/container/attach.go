package container

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/berth-engine/berth/internal/escape"
	"io"
	"net"
	"sync"

	"github.com/berth-engine/berth/internal/runtime"
	"github.com/moby/moby/api/types/events"
)

// AttachOptions select the streams of an attach request.
type AttachOptions struct {
	Stdin, Stdout, Stderr bool
	// Multiplexed frames stdout/stderr with Docker's 8-byte stdcopy header
	// (non-TTY containers).
	Multiplexed bool
	// DetachKeys end the attach (not the container) when the client types
	// them on a TTY container's stdin; nil disables detection.
	DetachKeys []byte
}

// attacher is one client attached to a container.
type attacher struct {
	opts   AttachOptions
	client io.ReadWriteCloser
	wmu    sync.Mutex
	done   chan error
	once   sync.Once
}

func (a *attacher) finish(err error) { a.once.Do(func() { a.done <- err; close(a.done) }) }

// attachSet holds clients waiting for the next start.
type attachSet struct {
	mu      sync.Mutex
	pending []*attacher
}

func (s *attachSet) add(a *attacher) {
	s.mu.Lock()
	s.pending = append(s.pending, a)
	s.mu.Unlock()
}

func (s *attachSet) take() []*attacher {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

func (s *attachSet) connectAll(ctx context.Context, sh *runtime.Shim, tty bool) {
	for _, a := range s.take() {
		a.connect(ctx, sh, tty)
	}
}

func (s *attachSet) failAll(err error) {
	for _, a := range s.take() {
		a.finish(err)
	}
}

// Attach relays the container's streams to client until the container's
// output ends or the client goes away. client is the hijacked connection,
// already answered with the upgrade header. If the container is not
// running, the client is connected at its next start (docker run attaches
// before it starts the container).
func (s *Service) Attach(ctx context.Context, ref string, opts AttachOptions, client io.ReadWriteCloser) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	a := &attacher{opts: opts, client: client, done: make(chan error, 1)}
	s.emit(c, events.ActionAttach, nil)
	if m := c.liveMonitor(); m != nil {
		a.connect(ctx, m.shim, c.Config.Tty)
	} else {
		c.attach.add(a)
	}
	select {
	case err := <-a.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connect opens the shim streams and starts relaying; it returns once the
// streams are connected, so output produced after Release is never lost.
func (a *attacher) connect(ctx context.Context, sh *runtime.Shim, tty bool) {
	var outs []struct {
		conn net.Conn
		kind byte
	}
	streams := []struct {
		want bool
		name string
		kind byte
	}{{a.opts.Stdout, "stdout", 1}, {a.opts.Stderr && !tty, "stderr", 2}, {a.opts.Stdin, "stdin", 0}}
	// One connection per stream, dialled together: each is a round trip
	// to the shim on the start path.
	conns := make([]net.Conn, len(streams))
	errs := make([]error, len(streams))
	var dials sync.WaitGroup
	for i, st := range streams {
		if st.want {
			dials.Add(1)
			go func() {
				defer dials.Done()
				conns[i], errs[i] = sh.Attach(ctx, st.name)
			}()
		}
	}
	dials.Wait()
	for i, err := range errs {
		if err != nil {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
			a.finish(fmt.Errorf("attach %s: %w", streams[i].name, err))
			return
		}
	}
	var stdin net.Conn
	for i, st := range streams {
		switch {
		case conns[i] == nil:
		case st.name == "stdin":
			stdin = conns[i]
		default:
			outs = append(outs, struct {
				conn net.Conn
				kind byte
			}{conns[i], st.kind})
		}
	}
	var wg sync.WaitGroup
	for _, o := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer o.conn.Close()
			a.copyOut(o.conn, o.kind)
		}()
	}
	if stdin != nil {
		go func() {
			var in io.Reader = a.client
			if tty && len(a.opts.DetachKeys) > 0 {
				in = escape.NewReader(a.client, a.opts.DetachKeys)
			}
			if _, err := io.Copy(stdin, in); errors.Is(err, escape.ErrDetached) {
				// Detach: leave the container and its stdin alone, end
				// only this client's streams.
				_ = stdin.Close()
				for _, o := range outs {
					_ = o.conn.Close()
				}
				if len(outs) == 0 {
					a.finish(nil)
				}
				return
			}
			if uc, ok := stdin.(*net.UnixConn); ok {
				_ = uc.CloseWrite()
			} else {
				_ = stdin.Close()
			}
			if len(outs) == 0 {
				a.finish(nil)
			}
		}()
	}
	if len(outs) > 0 {
		go func() {
			wg.Wait()
			if stdin != nil {
				_ = stdin.Close()
			}
			a.finish(nil)
		}()
	}
}

func (a *attacher) copyOut(src net.Conn, kind byte) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if werr := a.write(kind, buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (a *attacher) write(kind byte, p []byte) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if a.opts.Multiplexed {
		var hdr [8]byte
		hdr[0] = kind
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(p)))
		if _, err := a.client.Write(hdr[:]); err != nil {
			return err
		}
	}
	_, err := a.client.Write(p)
	return err
}
