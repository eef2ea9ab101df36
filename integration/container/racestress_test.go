package container

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestConcurrentLifecycle drives a few containers from many goroutines at
// once (inspect, ps, rename, exec, logs, stats, top, pause, update,
// restart, kill, wait, events). Errors from conflicting requests are
// expected; the daemon must stay up and answer, and a race-enabled daemon
// (BERTH_BINARY built with -race, GORACE unset) must report no data race.
func TestConcurrentLifecycle(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var ids []string
	for i := range 3 {
		created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
			Name:   fmt.Sprintf("stress%d", i),
			Config: &ctr.Config{Image: "busybox", Cmd: []string{"sh", "-c", "while true; do echo tick; sleep 0.05; done"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, created.ID)
	}
	// A flapping container: its health probe and restart policy change its
	// state on their own while the loops below read it.
	flap, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: "flap",
		Config: &ctr.Config{Image: "busybox", Cmd: []string{"sh", "-c", "sleep 0.5; exit 1"},
			Healthcheck: &ctr.HealthConfig{Test: []string{"CMD-SHELL", "test -e /proc/1"}, Interval: 50 * time.Millisecond, Timeout: time.Second}},
		HostConfig: &ctr.HostConfig{RestartPolicy: ctr.RestartPolicy{Name: ctr.RestartPolicyAlways}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, flap.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, flap.ID)
	evctx, evcancel := context.WithCancel(ctx)
	events := c.Events(evctx, client.EventsListOptions{})
	go func() {
		for {
			select {
			case <-events.Messages:
			case <-events.Err:
				return
			}
		}
	}()
	deadline := time.Now().Add(15 * time.Second)
	var wg sync.WaitGroup
	for i, id := range ids {
		for _, op := range stressOps(c, id, i) {
			wg.Go(func() {
				for time.Now().Before(deadline) && ctx.Err() == nil {
					op(ctx)
				}
			})
		}
	}
	wg.Wait()
	evcancel()
	for _, id := range ids {
		if _, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("rm %s: %v", id, err)
		}
	}
	d.CheckNoDataRace(t)
}

// stressOps returns the loops run against container id at the same time.
func stressOps(c *client.Client, id string, i int) []func(context.Context) {
	drain := func(r io.ReadCloser, err error) {
		if err == nil {
			_, _ = io.Copy(io.Discard, r)
			r.Close()
		}
	}
	renames, restarts := 0, 0
	return []func(context.Context){
		func(ctx context.Context) {
			_, _ = c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
			_, _ = c.ContainerList(ctx, client.ContainerListOptions{All: true})
		},
		func(ctx context.Context) {
			renames++
			_, _ = c.ContainerRename(ctx, id, client.ContainerRenameOptions{NewName: fmt.Sprintf("stress%d-%d", i, renames%2)})
		},
		func(ctx context.Context) {
			ex, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{AttachStdout: true, AttachStderr: true, Cmd: []string{"echo", "hi"}})
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				return
			}
			if att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{}); err == nil {
				_, _ = io.Copy(io.Discard, att.Reader)
				att.Close()
			}
			_, _ = c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		},
		func(ctx context.Context) {
			lctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			r, err := c.ContainerLogs(lctx, id, client.ContainerLogsOptions{ShowStdout: true, Follow: true, Tail: "5"})
			drain(r, err)
		},
		func(ctx context.Context) {
			s, err := c.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: false})
			if err == nil {
				drain(s.Body, nil)
			}
			_, _ = c.ContainerTop(ctx, id, client.ContainerTopOptions{})
		},
		func(ctx context.Context) {
			_, _ = c.ContainerPause(ctx, id, client.ContainerPauseOptions{})
			_, _ = c.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
			_, _ = c.ContainerUpdate(ctx, id, client.ContainerUpdateOptions{RestartPolicy: &ctr.RestartPolicy{Name: ctr.RestartPolicyUnlessStopped}})
		},
		func(ctx context.Context) {
			timeout := 1
			wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			w := c.ContainerWait(wctx, id, client.ContainerWaitOptions{Condition: ctr.WaitConditionNextExit})
			restarts++
			if restarts%2 == 0 {
				_, _ = c.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: &timeout})
			} else {
				_, _ = c.ContainerKill(ctx, id, client.ContainerKillOptions{})
				_, _ = c.ContainerStart(ctx, id, client.ContainerStartOptions{})
			}
			select {
			case <-w.Result:
			case <-w.Error:
			}
			time.Sleep(200 * time.Millisecond)
		},
	}
}

// TestConcurrentTTY attaches to a tty container several times, resizes it
// and runs tty execs that are resized too, all at once, while the
// container prints; a race-enabled daemon and shim must report no race.
func TestConcurrentTTY(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &ctr.Config{Image: "busybox", Tty: true, OpenStdin: true,
			Cmd: []string{"sh", "-c", "while true; do stty size; sleep 0.02; done"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	if _, err := c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				actx, acancel := context.WithTimeout(ctx, 500*time.Millisecond)
				att, err := c.ContainerAttach(actx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true})
				if err == nil {
					_, _ = att.Conn.Write([]byte("x"))
					go func() { <-actx.Done(); att.Close() }()
					_, _ = io.Copy(io.Discard, att.Reader)
				}
				acancel()
			}
		})
	}
	wg.Go(func() {
		for h := uint(10); time.Now().Before(deadline); h++ {
			_, _ = c.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: 10 + h%50, Width: 80})
		}
	})
	for range 2 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				ex, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{TTY: true, AttachStdout: true, AttachStdin: true, Cmd: []string{"sh", "-c", "stty size; sleep 0.2"}})
				if err != nil {
					continue
				}
				att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: true})
				if err != nil {
					continue
				}
				for h := uint(5); h < 8; h++ {
					_, _ = c.ExecResize(ctx, ex.ID, client.ExecResizeOptions{Height: h, Width: 40})
				}
				_, _ = io.Copy(io.Discard, att.Reader)
				att.Close()
			}
		})
	}
	wg.Wait()
	if _, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Errorf("rm: %v", err)
	}
	d.CheckNoDataRace(t)
}
