package network

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ctr "github.com/moby/moby/api/types/container"
	netapi "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// TestConcurrentNetworkOps connects and disconnects containers, creates and
// removes networks, publishes ports and lists everything from many
// goroutines at once. Conflicting requests may fail; the daemon must stay
// consistent, and a race-enabled daemon (GORACE unset) must report no data
// race in its log.
func TestConcurrentNetworkOps(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, n := range []string{"stressa", "stressb"} {
		if _, err := c.NetworkCreate(ctx, n, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for i := range 3 {
		created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
			Name:       fmt.Sprintf("nstress%d", i),
			Config:     &ctr.Config{Image: "busybox", Cmd: []string{"sleep", "300"}},
			HostConfig: &ctr.HostConfig{NetworkMode: "stressa"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, created.ID)
	}
	deadline := time.Now().Add(15 * time.Second)
	loop := func(op func(context.Context)) func() {
		return func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				op(ctx)
			}
		}
	}
	var wg sync.WaitGroup
	var connects atomic.Int64
	for _, id := range ids {
		wg.Go(loop(func(ctx context.Context) {
			if _, err := c.NetworkConnect(ctx, "stressb", client.NetworkConnectOptions{Container: id}); err == nil {
				connects.Add(1)
			}
			_, _ = c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
			_, _ = c.NetworkDisconnect(ctx, "stressb", client.NetworkDisconnectOptions{Container: id})
		}))
	}
	for i, id := range ids {
		n := 0
		wg.Go(loop(func(ctx context.Context) {
			n++
			_, _ = c.ContainerRename(ctx, id, client.ContainerRenameOptions{NewName: fmt.Sprintf("nstress%d-%d", i, n%2)})
		}))
	}
	wg.Go(loop(func(ctx context.Context) {
		_, _ = c.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
		_, _ = c.NetworkInspect(ctx, "stressa", client.NetworkInspectOptions{})
		_, _ = c.NetworkInspect(ctx, "stressb", client.NetworkInspectOptions{})
		_, _ = c.NetworkList(ctx, client.NetworkListOptions{})
		_, _ = c.ContainerList(ctx, client.ContainerListOptions{All: true})
	}))
	for w := range 2 {
		n := 0
		wg.Go(loop(func(ctx context.Context) {
			n++
			name := fmt.Sprintf("tmp%d-%d", w, n)
			if _, err := c.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge"}); err == nil {
				_, _ = c.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
			}
		}))
	}
	for w := range 2 {
		wg.Go(loop(func(ctx context.Context) { runPublished(ctx, c, w) }))
	}
	wg.Wait()
	t.Logf("%d connects", connects.Load())
	for _, id := range ids {
		if _, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("rm %s: %v", id, err)
		}
	}
	for _, n := range []string{"stressa", "stressb"} {
		if _, err := c.NetworkRemove(ctx, n, client.NetworkRemoveOptions{}); err != nil {
			t.Errorf("network rm %s: %v", n, err)
		}
	}
	d.CheckNoDataRace(t)
}

// runPublished runs a short container with a published port on a user
// network or the default bridge, then removes it.
func runPublished(ctx context.Context, c *client.Client, w int) {
	mode := ctr.NetworkMode("stressa")
	if w%2 == 1 {
		mode = "bridge"
	}
	port, _ := netapi.ParsePort("80/tcp")
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &ctr.Config{Image: "busybox", Cmd: []string{"sleep", "1"}, ExposedPorts: netapi.PortSet{port: {}}},
		HostConfig: &ctr.HostConfig{NetworkMode: mode, AutoRemove: w%2 == 1,
			PortBindings: netapi.PortMap{port: {{HostPort: "0"}}}},
	})
	if err != nil {
		return
	}
	_, _ = c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{})
	_, _ = c.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	_, _ = c.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true})
}
