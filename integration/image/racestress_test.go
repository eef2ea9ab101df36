package image

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestConcurrentImageOps tags, untags, inspects, lists, saves, commits and
// creates containers from images from many goroutines at once. Conflicting
// requests may fail; a race-enabled daemon (GORACE unset) must report no
// data race in its log, and busybox must survive.
func TestConcurrentImageOps(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &ctr.Config{Image: "busybox", Cmd: []string{"sh", "-c", "while true; do date > /tick; sleep 0.05; done"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	loop := func(op func(n int)) func() { return daemon.Repeat(ctx, deadline, op) }
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(loop(func(n int) {
			tag := fmt.Sprintf("stress/t%d:%d", w, n%3)
			_, _ = c.ImageTag(ctx, client.ImageTagOptions{Source: "busybox", Target: tag})
			_, _ = c.ImageInspect(ctx, tag)
			_, _ = c.ImageRemove(ctx, tag, client.ImageRemoveOptions{})
		}))
	}
	wg.Go(loop(func(int) {
		_, _ = c.ImageList(ctx, client.ImageListOptions{All: true})
		_, _ = c.ImageHistory(ctx, "busybox")
		_, _ = c.ImageInspect(ctx, "busybox")
	}))
	wg.Go(loop(func(n int) {
		res, err := c.ContainerCommit(ctx, created.ID, client.ContainerCommitOptions{Reference: fmt.Sprintf("stress/commit:%d", n%2)})
		if err == nil {
			_, _ = c.ImageRemove(ctx, res.ID, client.ImageRemoveOptions{Force: true})
		}
	}))
	wg.Go(loop(func(int) {
		res, err := c.ImageSave(ctx, []string{"busybox"})
		if err == nil {
			_, _ = io.Copy(io.Discard, res)
			res.Close()
		}
	}))
	wg.Go(loop(func(n int) {
		cr, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &ctr.Config{Image: fmt.Sprintf("stress/t0:%d", n%3), Cmd: []string{"true"}}})
		if err == nil {
			_, _ = c.ContainerRemove(ctx, cr.ID, client.ContainerRemoveOptions{Force: true})
		}
		_, _ = c.ImagePrune(ctx, client.ImagePruneOptions{})
	}))
	wg.Wait()
	if _, err := c.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Errorf("rm: %v", err)
	}
	if _, err := c.ImageInspect(ctx, "busybox"); err != nil {
		t.Errorf("busybox gone: %v", err)
	}
	d.CheckNoDataRace(t)
}
