package container

import (
	"io/fs"
	"testing"

	"github.com/berth-engine/berth/internal/cgroup"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

type recordEvents struct{ actions []events.Action }

func (r *recordEvents) Log(a events.Action, _ events.Type, _ events.Actor) {
	r.actions = append(r.actions, a)
}

// TestCheckOOM walks a watcher through kills and a stall: one oom event
// per new kill or stall, OOMKilled set by kills only, State.Error while
// stalled, and a missing cgroup ends the watch.
func TestCheckOOM(t *testing.T) {
	s, _ := newVolumeTestService(t)
	ev := &recordEvents{}
	s.cfg.Events = ev
	c := &Container{ID: "c1", Name: "c1", Config: &ctr.Config{}, HostConfig: &ctr.HostConfig{}, State: State{Status: ctr.StateRunning}}
	c.init()
	if err := s.store.add(c); err != nil {
		t.Fatal(err)
	}
	var cur cgroup.OOMState
	var readErr error
	w := &oomWatch{read: func() (cgroup.OOMState, error) { return cur, readErr }, done: make(chan struct{})}
	steps := []struct {
		name      string
		st        cgroup.OOMState
		events    int
		oomKilled bool
		stalled   bool
	}{
		{"nothing yet", cgroup.OOMState{}, 0, false, false},
		{"child killed", cgroup.OOMState{Kills: 1}, 1, true, false},
		{"same kill again", cgroup.OOMState{Kills: 1}, 1, true, false},
		{"second kill", cgroup.OOMState{Kills: 3}, 2, true, false},
		{"stall begins", cgroup.OOMState{Kills: 3, KillDisabled: true, UnderOOM: true}, 3, true, true},
		{"still stalled", cgroup.OOMState{Kills: 3, KillDisabled: true, UnderOOM: true}, 3, true, true},
		{"stall ends", cgroup.OOMState{Kills: 3, KillDisabled: true}, 3, true, false},
	}
	for _, st := range steps {
		cur = st.st
		if !s.checkOOM(c, w) {
			t.Fatalf("%s: watch ended", st.name)
		}
		got := c.snapshot()
		if len(ev.actions) != st.events || got.OOMKilled != st.oomKilled || (got.Error == oomStalledError) != st.stalled {
			t.Fatalf("%s: %d events, state %+v", st.name, len(ev.actions), got)
		}
	}
	for _, a := range ev.actions {
		if a != events.ActionOOM {
			t.Errorf("event %q", a)
		}
	}
	readErr = fs.ErrNotExist
	if s.checkOOM(c, w) {
		t.Error("watch goes on without a cgroup")
	}
	readErr = nil
	w.stopped = true
	if s.checkOOM(c, w) {
		t.Error("watch goes on after stop")
	}
	if !w.reported {
		t.Error("kills not marked reported")
	}
	if (*oomWatch)(nil).stop() {
		t.Error("nil watcher reported a kill")
	}
}
