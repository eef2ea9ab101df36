package volume

import (
	"context"
	"fmt"
	"github.com/berth-engine/berth/internal/testutil/daemon"
	"sync"
	"testing"
	"time"

	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// TestConcurrentVolumeOps creates, inspects, lists, prunes and removes
// volumes while containers that mount them are created and removed, from
// many goroutines at once. Conflicts may fail; a race-enabled daemon
// (GORACE unset) must report no data race in its log.
func TestConcurrentVolumeOps(t *testing.T) {
	e := newEnv(t)
	c := e.d.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	deadline := time.Now().Add(15 * time.Second)
	loop := func(op func(n int)) func() { return daemon.Repeat(ctx, deadline, op) }
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(loop(func(n int) {
			name := fmt.Sprintf("sv%d", n%3)
			_, _ = c.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: map[string]string{"w": fmt.Sprint(w)}})
			_, _ = c.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
			_, _ = c.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
		}))
		wg.Go(loop(func(n int) {
			cr, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
				Config: &ctr.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo x > /v/f"}, Volumes: map[string]struct{}{"/anon": {}}},
				HostConfig: &ctr.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: fmt.Sprintf("sv%d", n%3), Target: "/v"}},
					AutoRemove: w == 1},
			})
			if err != nil {
				return
			}
			_, _ = c.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{})
			_, _ = c.ContainerRemove(ctx, cr.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}))
	}
	wg.Go(loop(func(int) {
		_, _ = c.VolumeList(ctx, client.VolumeListOptions{})
		_, _ = c.VolumePrune(ctx, client.VolumePruneOptions{})
	}))
	wg.Wait()
	e.d.CheckNoDataRace(t)
}
