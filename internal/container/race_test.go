package container

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

type discardEvents struct{}

func (discardEvents) Log(events.Action, events.Type, events.Actor) {}

// TestRenameAndUpdateWhileRead renames and updates a container while
// inspect, ps, events, stats and logs read it, as concurrent API requests
// do; run with -race it catches readers of Name or HostConfig that skip
// the state lock.
func TestRenameAndUpdateWhileRead(t *testing.T) {
	dir := t.TempDir()
	db, err := metadata.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db, Config{Root: filepath.Join(dir, "root"), ExecRoot: filepath.Join(dir, "run"), Events: discardEvents{}})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Repeat("ab", 32)
	c := &Container{ID: id, Name: "racer", Created: time.Now(), Config: &ctr.Config{Image: "busybox"},
		HostConfig: &ctr.HostConfig{NetworkMode: "bridge"}, State: State{Status: ctr.StateExited}}
	c.init()
	if err := s.store.add(c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	readers := []func(){
		func() { _ = s.Inspect(c) },
		func() { _ = s.Summary(c) },
		func() { s.emit(c, events.ActionStart, nil) },
		func() { _ = s.sample(c) },
		func() { _, _ = s.Logs(ctx, id, LogsOptions{}) },
		func() { _, _ = s.List(ListOptions{All: true, Filters: map[string][]string{"name": {"racer"}}}, nil) },
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := s.Rename(ctx, id, fmt.Sprintf("racer%d", i)); err != nil {
				t.Errorf("rename: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := s.Update(ctx, id, ctr.UpdateConfig{RestartPolicy: ctr.RestartPolicy{Name: ctr.RestartPolicyUnlessStopped}}); err != nil {
				t.Errorf("update: %v", err)
			}
		})
		wg.Go(readers[i%len(readers)])
	}
	wg.Wait()
	if got := s.Inspect(c).HostConfig.RestartPolicy.Name; got != ctr.RestartPolicyUnlessStopped {
		t.Errorf("restart policy %q after update", got)
	}
}

// TestExitHandledLetsAutoRemoveRun: rm -f (or start) of a --rm container
// whose exit is being handled waits for that handling, which takes c.mu
// to remove the container; waiting with c.mu held deadlocked.
func TestExitHandledLetsAutoRemoveRun(t *testing.T) {
	for _, autoRemove := range []bool{true, false} {
		c := &Container{HostConfig: &ctr.HostConfig{AutoRemove: autoRemove}, monitor: newMonitor(nil)}
		m := c.monitor
		go func() { // exited → autoRemove
			if autoRemove {
				c.mu.Lock()
				defer c.mu.Unlock()
			}
			time.Sleep(10 * time.Millisecond)
			close(m.done)
		}()
		returned := make(chan struct{})
		go func() {
			c.mu.Lock()
			exitHandled(c)
			c.mu.Unlock()
			close(returned)
		}()
		select {
		case <-returned:
		case <-time.After(5 * time.Second):
			t.Fatalf("autoRemove %v: exitHandled deadlocked with the exit handling", autoRemove)
		}
	}
}
