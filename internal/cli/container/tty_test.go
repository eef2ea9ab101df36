package container

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/console"
	"github.com/moby/moby/client"
)

// resizeAPI refuses the first resize (no TTY yet), then records the size.
type resizeAPI struct {
	client.APIClient
	mu    sync.Mutex
	calls int
	got   client.ContainerResizeOptions
	done  chan struct{}
}

func (f *resizeAPI) ContainerResize(_ context.Context, _ string, o client.ContainerResizeOptions) (client.ContainerResizeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return client.ContainerResizeResult{}, errors.New("no tty yet")
	}
	if f.calls == 2 {
		f.got = o
		close(f.done)
	}
	return client.ContainerResizeResult{}, nil
}

// TestMonitorTTYSizeRetries: the initial resize is retried until the
// container's TTY accepts it; with -race this also checks that the retry
// goroutine and the caller share no variable they both write.
func TestMonitorTTYSizeRetries(t *testing.T) {
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer pty.Close()
	if err := pty.Resize(console.WinSize{Height: 24, Width: 80}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	api := &resizeAPI{done: make(chan struct{})}
	stop := monitorTTYSize(context.Background(), &command.CLI{Out: slave}, api, "c1")
	defer stop()
	select {
	case <-api.done:
	case <-time.After(5 * time.Second):
		t.Fatal("initial resize was not retried")
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.got.Height != 24 || api.got.Width != 80 {
		t.Errorf("resized to %dx%d, want 24x80", api.got.Height, api.got.Width)
	}
}
