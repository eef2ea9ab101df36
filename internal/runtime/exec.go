package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOptions describe a process to start in a running container.
//
// Lifecycle of an exec, as the daemon drives it: Exec starts the process
// (runc exec --detach) and returns its pid, holding its output; the daemon
// connects the streams it needs with ExecAttach, then calls ExecRelease
// (the shim releases by itself after 3 s); ExecWait returns the exit status
// once the process exited and its output was drained to the attached
// streams. Exec output never goes to the container's log.
type ExecOptions struct {
	ID      string         // exec ID: letters, digits, '-' and '_'
	Process *specs.Process // Terminal selects a pty
	Stdin   bool           // open a stdin (pipe, or the pty's input)
	// Width and Height set the initial size of the pty, when non-zero.
	Width, Height uint16
}

// Exec starts a process in the container and returns its host pid. A
// failure to run the command is a *StartError (126/127 as for a start);
// errdefs.ErrConflict when the container is paused or not running.
func (s *Shim) Exec(ctx context.Context, opts ExecOptions) (int, error) {
	proc, err := json.Marshal(opts.Process)
	if err != nil {
		return 0, err
	}
	resp, err := s.oneShot(ctx, Request{Op: OpExec, Exec: opts.ID, Process: proc, Stdin: opts.Stdin,
		Width: opts.Width, Height: opts.Height})
	if err != nil {
		return 0, err
	}
	if err := resp.Err(); err != nil {
		if errdefs.IsUnknown(err) {
			return 0, newStartError(resp.Error)
		}
		return 0, err
	}
	return resp.Pid, nil
}

// ExecAttach opens a raw byte stream to an exec's "stdin", "stdout" or
// "stderr" (see Attach).
func (s *Shim) ExecAttach(ctx context.Context, id, stream string) (net.Conn, error) {
	c, err := dial(ctx, s.socket)
	if err != nil {
		return nil, err
	}
	resp, err := roundTrip(ctx, c, byteReader{c}, Request{Op: OpAttach, Exec: id, Stream: stream})
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ExecRelease lets the shim copy the exec's output to its attached streams.
func (s *Shim) ExecRelease(ctx context.Context, id string) error {
	_, err := s.call(ctx, Request{Op: OpRelease, Exec: id})
	return err
}

// ExecResize sets the size of the exec's pty; a no-op without one.
func (s *Shim) ExecResize(ctx context.Context, id string, width, height uint16) error {
	_, err := s.call(ctx, Request{Op: OpResize, Exec: id, Width: width, Height: height})
	return err
}

// ExecWait blocks until the exec process exited and its output was
// drained; the shim then forgets the exec.
func (s *Shim) ExecWait(ctx context.Context, id string) (ExitStatus, error) {
	resp, err := s.oneShot(ctx, Request{Op: OpWait, Exec: id})
	if err != nil {
		return ExitStatus{}, err
	}
	if err := resp.Err(); err != nil {
		return ExitStatus{}, err
	}
	if resp.Exit == nil {
		return ExitStatus{}, errors.New("shim exec wait: reply without exit status")
	}
	return *resp.Exit, nil
}

// Pause freezes the container's processes (runc pause).
func (s *Shim) Pause(ctx context.Context) error {
	resp, err := s.oneShot(ctx, Request{Op: OpPause})
	if err != nil {
		return err
	}
	return resp.Err()
}

// Resume thaws a paused container (runc resume). Kill thaws by itself.
func (s *Shim) Resume(ctx context.Context) error {
	resp, err := s.oneShot(ctx, Request{Op: OpResume})
	if err != nil {
		return err
	}
	return resp.Err()
}

// oneShot sends req on a connection of its own, for calls that take long
// (runc exec, waits) and must not hold up the control connection. err is a
// transport error; the shim's answer to the request is resp.Err().
func (s *Shim) oneShot(ctx context.Context, req Request) (Response, error) {
	c, err := dial(ctx, s.socket)
	if err != nil {
		return Response{}, err
	}
	defer c.Close()
	resp, err := roundTrip(ctx, c, byteReader{c}, req)
	if err != nil {
		return resp, fmt.Errorf("shim %s: %w", req.Op, err)
	}
	return resp, nil
}
