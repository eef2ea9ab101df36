package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
)

// Shim is the daemon's handle on one container's shim. It is safe for
// concurrent use.
type Shim struct {
	socket string
	pid    int
	bundle string

	mu   sync.Mutex // serialises calls on ctrl
	ctrl net.Conn
	br   *bufio.Reader
}

// Start runs a shim for opts and returns once the container's process runs
// (runc run --detach succeeded), with its pid. A runtime failure is a
// *StartError (see ExitCodeFromStartError). Cancelling ctx before the pid is
// known makes the shim kill the container and exit.
func Start(ctx context.Context, opts StartOptions) (*Shim, int, error) {
	if err := opts.validate(); err != nil {
		return nil, 0, err
	}
	return Launch(opts.ShimBinary).Run(ctx, opts)
}

// readReady reads the shim's ready line; closing r on cancellation tells the
// shim that nobody waits for the container any more.
func readReady(ctx context.Context, r *os.File) (Response, error) {
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stop()
	var resp Response
	line, err := bufio.NewReader(r).ReadBytes('\n')
	if ctx.Err() != nil {
		return resp, ctx.Err()
	}
	if err != nil && len(line) == 0 {
		return resp, fmt.Errorf("shim exited before reporting: %w", errdefs.ErrUnavailable)
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return resp, fmt.Errorf("shim ready line %q: %v: %w", line, err, errdefs.ErrUnknown)
	}
	return resp, nil
}

// Connect reaches the shim serving socketPath, for a daemon that restarted.
// It fails with errdefs.ErrNotFound when the socket is gone (the shim
// finished: see ReadExitStatus) and errdefs.ErrUnavailable when nobody
// answers on it (the shim died).
func Connect(ctx context.Context, socketPath string) (*Shim, error) {
	s := &Shim{socket: socketPath}
	resp, err := s.call(ctx, Request{Op: OpInfo})
	if err != nil {
		return nil, err
	}
	s.pid, s.bundle = resp.Pid, resp.Bundle
	return s, nil
}

// Pid is the container's init process as seen from the host.
func (s *Shim) Pid() int { return s.pid }

// Release lets the shim copy the container's output to the log and to the
// streams attached so far.
func (s *Shim) Release(ctx context.Context) error {
	_, err := s.call(ctx, Request{Op: OpRelease})
	return err
}

// Kill sends sig to the container's init process; errdefs.ErrNotFound if it
// has already exited.
func (s *Shim) Kill(ctx context.Context, sig syscall.Signal) error {
	_, err := s.call(ctx, Request{Op: OpKill, Signal: int(sig)})
	return err
}

// StartHeld lets a container started with HoldStart run its process.
func (s *Shim) StartHeld(ctx context.Context) error {
	_, err := s.call(ctx, Request{Op: OpStart})
	return err
}

// Resize sets the size of the container's tty; a no-op without a tty.
func (s *Shim) Resize(ctx context.Context, width, height uint16) error {
	_, err := s.call(ctx, Request{Op: OpResize, Width: width, Height: height})
	return err
}

// Close releases the control connection; the shim keeps running.
func (s *Shim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctrl == nil {
		return nil
	}
	err := s.ctrl.Close()
	s.ctrl, s.br = nil, nil
	return err
}

// call sends req on the control connection, dialing it on first use and
// once more if the previous one broke.
func (s *Shim) call(ctx context.Context, req Request) (Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if s.ctrl == nil {
			c, err := dial(ctx, s.socket)
			if err != nil {
				return Response{}, err
			}
			s.ctrl, s.br = c, bufio.NewReader(c)
		}
		resp, err := roundTrip(ctx, s.ctrl, s.br, req)
		if err == nil {
			return resp, resp.Err()
		}
		s.ctrl.Close()
		s.ctrl, s.br = nil, nil
		if attempt > 0 || ctx.Err() != nil {
			return resp, err
		}
	}
}

func dial(ctx context.Context, socket string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, syscall.ENOENT):
		return nil, fmt.Errorf("shim %s: %w", socket, errdefs.ErrNotFound)
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("shim %s: %w", socket, errdefs.ErrUnavailable)
	}
	return nil, fmt.Errorf("shim %s: %w", socket, err)
}

// roundTrip writes req and reads one reply line, giving up when ctx ends.
func roundTrip(ctx context.Context, c net.Conn, br lineReader, req Request) (Response, error) {
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	var resp Response
	data, _ := json.Marshal(req)
	if _, err := c.Write(append(data, '\n')); err != nil {
		return resp, ctxErr(ctx, err)
	}
	line, err := br.ReadString('\n')
	if err != nil {
		return resp, ctxErr(ctx, err)
	}
	if err := json.Unmarshal([]byte(line), &resp); err != nil {
		return resp, fmt.Errorf("shim reply %q: %v: %w", line, err, errdefs.ErrUnknown)
	}
	return resp, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("shim closed the connection: %w", errdefs.ErrUnavailable)
	}
	return err
}

// byteReader reads one byte at a time so that no byte past the reply line
// is consumed (an attach connection carries raw data right after it).
type byteReader struct{ r io.Reader }

func (b byteReader) ReadString(delim byte) (string, error) {
	var sb strings.Builder
	var c [1]byte
	for {
		if _, err := io.ReadFull(b.r, c[:]); err != nil {
			return sb.String(), err
		}
		if c[0] == delim {
			return sb.String(), nil
		}
		sb.WriteByte(c[0])
	}
}

// lineReader is a *bufio.Reader or, where raw bytes follow, a byteReader.
type lineReader interface {
	ReadString(delim byte) (string, error)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
