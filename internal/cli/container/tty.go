package container

import (
	"context"
	"os"
	"os/signal"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/console"
	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// setRawTerminal puts f in raw mode when it is a terminal and returns the
// function that restores it (safe to call more than once).
func setRawTerminal(f *os.File) (func(), error) {
	if f == nil {
		return func() {}, nil
	}
	con, err := console.ConsoleFromFile(f)
	if err != nil {
		return func() {}, nil // not a terminal: nothing to do
	}
	if err := con.SetRaw(); err != nil {
		return nil, err
	}
	done := false
	return func() {
		if !done {
			done = true
			_ = con.Reset()
		}
	}, nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := console.ConsoleFromFile(f)
	return err == nil
}

// monitorTTYSize gives the container's TTY the local terminal's size now
// and on every SIGWINCH, until the returned stop function is called.
func monitorTTYSize(ctx context.Context, c *command.CLI, api command.APIClient, id string) func() {
	out, ok := c.Out.(*os.File)
	if !ok || !isTerminal(out) {
		return func() {}
	}
	// Derived before the goroutines start: they read ctx, so it must not be
	// reassigned after (a data race), and stop ends the initial retries too.
	ctx, cancel := context.WithCancel(ctx)
	resize := func() error {
		con, err := console.ConsoleFromFile(out)
		if err != nil {
			return err
		}
		ws, err := con.Size()
		if err != nil || ws.Height == 0 || ws.Width == 0 {
			return err
		}
		_, err = api.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: uint(ws.Height), Width: uint(ws.Width)})
		return err
	}
	go initialResize(ctx, resize)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	go func() {
		for {
			select {
			case <-winch:
				_ = resize()
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		cancel()
	}
}

// initialResize retries a few times: the TTY may not exist yet right
// after start returns.
func initialResize(ctx context.Context, resize func() error) {
	for i := 0; i < 5; i++ {
		if resize() == nil {
			return
		}
		select {
		case <-time.After(time.Duration(i+1) * 10 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}
