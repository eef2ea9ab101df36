package container

import (
	"context"
	"errors"
	"fmt"
	"github.com/berth-engine/berth/internal/escape"
	"io"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// attachStreams says which standard streams a foreground container attaches.
type attachStreams struct{ stdin, stdout, stderr bool }

// foreground describes how to run an existing, attached-to container in the
// foreground: what `run` without -d and `start -a` share.
type foreground struct {
	id         string
	tty        bool
	stdin      bool
	sigProxy   bool
	autoRemove bool
	// attachOnly attaches to a running container instead of starting it.
	attachOnly bool
	// detachKeys ("ctrl-p,ctrl-q" notation, "" = Docker's default) end the
	// session, leaving the container running, when typed on a TTY.
	detachKeys string
	// startErr turns a start failure into the command's error.
	startErr func(error) error
}

// errDetached reports that the user typed the detach keys.
var errDetached = errors.New("detached")

// run attaches (before starting, so no output is lost), registers the wait
// for the next exit, starts the container, copies streams until the
// container's output ends and returns its exit status as a StatusError.
func (f foreground) run(ctx context.Context, c *command.CLI, api command.APIClient) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := api.ContainerAttach(ctx, f.id, client.ContainerAttachOptions{
		Stream: true, Stdin: f.stdin, Stdout: true, Stderr: true, DetachKeys: f.detachKeys,
	})
	if err != nil {
		return f.startErr(err)
	}
	defer resp.Close()
	restore, err := f.setRaw(c)
	if err != nil {
		return f.startErr(err)
	}
	defer restore()
	status := waitExit(ctx, c, api, f.id, f.autoRemove)
	streamErr := make(chan error, 1)
	go func() { streamErr <- f.copyStreams(ctx, c, resp.HijackedResponse) }()
	if f.sigProxy && !f.tty {
		defer forwardSignals(ctx, api, f.id)()
	}
	if f.attachOnly {
		// nothing to start
	} else if _, err := api.ContainerStart(ctx, f.id, client.ContainerStartOptions{}); err != nil {
		resp.Close()
		restore()
		if f.autoRemove {
			<-status
		}
		return f.startErr(err)
	}
	if f.tty {
		defer monitorTTYSize(ctx, c, api, f.id)()
	}
	if err := <-streamErr; err != nil {
		if errors.Is(err, errDetached) {
			return nil // the container keeps running
		}
		return err
	}
	if code := <-status; code != 0 {
		return command.StatusError{StatusCode: code}
	}
	return nil
}

func (f foreground) setRaw(c *command.CLI) (func(), error) {
	if !f.tty || !f.stdin {
		return func() {}, nil
	}
	return setRawTerminal(c.In)
}

// copyStreams copies the container's output to the local streams
// (demultiplexed unless a TTY is used) and, with stdin attached, the local
// input to the container, half-closing the connection at EOF so the process
// sees end of input. It returns when the output ends.
func (f foreground) copyStreams(ctx context.Context, c *command.CLI, resp client.HijackedResponse) error {
	outDone := make(chan error, 1)
	go func() {
		var err error
		if f.tty {
			_, err = io.Copy(c.Out, resp.Reader)
		} else {
			_, err = stdcopy.StdCopy(c.Out, c.Err, resp.Reader)
		}
		outDone <- err
	}()
	inDone := make(chan struct{})
	detached := make(chan struct{})
	if f.stdin && c.In != nil {
		var in io.Reader = c.In
		if f.tty {
			keys, err := escape.Parse(f.detachKeys)
			if err != nil {
				return err
			}
			in = escape.NewReader(c.In, keys)
		}
		go func() {
			defer close(inDone)
			if _, err := io.Copy(resp.Conn, in); errors.Is(err, escape.ErrDetached) {
				close(detached)
				return
			}
			if cw, ok := resp.Conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}()
	}
	select {
	case err := <-outDone:
		return err
	case <-inDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-detached:
		return errDetached
	default:
	}
	select {
	case err := <-outDone:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitExit registers a wait for the container's next exit (or removal with
// --rm) and delivers its exit code; 125 when waiting fails.
func waitExit(ctx context.Context, c *command.CLI, api command.APIClient, id string, removed bool) <-chan int {
	cond := container.WaitConditionNextExit
	if removed {
		cond = container.WaitConditionRemoved
	}
	res := api.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: cond})
	out := make(chan int, 1)
	go func() {
		select {
		case r := <-res.Result:
			if r.Error != nil && r.Error.Message != "" {
				fmt.Fprintf(c.Err, "Error waiting for container: %s\n", r.Error.Message)
				out <- 125
				return
			}
			out <- int(r.StatusCode)
		case err := <-res.Error:
			fmt.Fprintf(c.Err, "Error waiting for container: %v\n", err)
			out <- 125
		}
	}()
	return out
}
