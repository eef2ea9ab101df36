package container

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// forwardSignals relays the signals the CLI receives to the container (the
// --sig-proxy behaviour) until the returned stop function is called.
func forwardSignals(ctx context.Context, api command.APIClient, id string) func() {
	ch := make(chan os.Signal, 64)
	ctx, cancel := context.WithCancel(ctx)
	// Registering for every signal takes the Go runtime over a millisecond
	// (a handler each), and so does unregistering: both happen off the
	// container's start and exit path.
	registered := make(chan struct{})
	go func() {
		signal.Notify(ch)
		close(registered)
		for {
			select {
			case s := <-ch:
				if sig, ok := proxied(s); ok {
					_, _ = api.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: sig})
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		cancel()
		go func() {
			<-registered
			signal.Stop(ch)
		}()
	}
}

// proxied returns the number to send for s, skipping signals that concern
// only the CLI process (children, broken pipes, window changes, runtime
// preemption).
func proxied(s os.Signal) (string, bool) {
	n, ok := s.(syscall.Signal)
	if !ok {
		return "", false
	}
	switch n {
	case unix.SIGCHLD, unix.SIGPIPE, unix.SIGURG, unix.SIGWINCH:
		return "", false
	}
	return strconv.Itoa(int(n)), true
}
