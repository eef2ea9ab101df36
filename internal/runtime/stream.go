package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/containerd/errdefs"
)

// Attach opens a raw byte stream to the container's "stdin", "stdout" or
// "stderr". Output streams carry what the container writes after the shim's
// release (everything, when attached before Release) and end with EOF after
// the container's last byte; with a tty, stdout carries the pty and stderr
// is empty. Closing a stdin stream closes the container's stdin when the
// container was started with StdinOnce. A reader too slow to keep up is
// dropped (its connection closed) rather than block the container.
func (s *Shim) Attach(ctx context.Context, stream string) (net.Conn, error) {
	c, err := dial(ctx, s.socket)
	if err != nil {
		return nil, err
	}
	resp, err := roundTrip(ctx, c, byteReader{c}, Request{Op: OpAttach, Stream: stream})
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Wait blocks until the container exited and the shim drained its output;
// exit.json follows at once. The shim may still be deleting the runc state:
// use WaitClosed before removing the bundle. When the shim is already gone
// Wait returns the status recorded in exit.json.
func (s *Shim) Wait(ctx context.Context) (ExitStatus, error) {
	c, err := dial(ctx, s.socket)
	if err != nil {
		return s.recorded(err)
	}
	defer c.Close()
	resp, err := roundTrip(ctx, c, byteReader{c}, Request{Op: OpWait})
	if err != nil {
		return s.recorded(err)
	}
	if err := resp.Err(); err != nil {
		return ExitStatus{}, err
	}
	if resp.Exit == nil {
		return ExitStatus{}, errors.New("shim wait: reply without exit status")
	}
	return *resp.Exit, nil
}

// recorded falls back on exit.json when the shim cannot be reached.
func (s *Shim) recorded(err error) (ExitStatus, error) {
	if s.bundle == "" || !(errdefs.IsNotFound(err) || errdefs.IsUnavailable(err)) {
		return ExitStatus{}, err
	}
	st, ok, rerr := ReadExitStatus(s.bundle)
	if rerr != nil || !ok {
		return ExitStatus{}, err
	}
	return st, nil
}

// WaitClosed blocks until the shim finished: the container exited, runc
// deleted its state and cgroup, and the shim closed its socket. After it
// returns the daemon may unmount the rootfs and remove the bundle.
func (s *Shim) WaitClosed(ctx context.Context) error {
	c, err := dial(ctx, s.socket)
	if errdefs.IsNotFound(err) || errdefs.IsUnavailable(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.Write([]byte(`{"op":"wait"}` + "\n")); err != nil {
		return ctxErr(ctx, nilOnClose(err))
	}
	_, err = io.Copy(io.Discard, c)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nilOnClose(err)
}

// nilOnClose treats a connection reset by the exiting shim as closed.
func nilOnClose(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
		return nil
	}
	return err
}
