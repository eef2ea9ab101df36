package container

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/berth-engine/berth/internal/runtime"
	ctr "github.com/moby/moby/api/types/container"
)

// Restore reconnects to the shims of containers that were running when the
// daemon stopped. A container whose shim is gone gets the exit status the
// shim recorded (or 255 when there is none) and its resources released.
// It returns the IDs of containers still running (to keep their network
// namespaces and addresses).
func (s *Service) Restore(ctx context.Context) map[string]*Endpoint {
	running := map[string]*Endpoint{}
	for _, c := range s.store.all() {
		st := c.snapshot()
		switch st.Status {
		case ctr.StateRemoving, ctr.StateDead:
			if err := s.Remove(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
				s.log.Warn("finish interrupted removal", "container", c.ID, "err", err)
			}
			continue
		case ctr.StateRunning, ctr.StatePaused, ctr.StateRestarting:
		case ctr.StateCreated:
			// A start records "running" after answering (start.go): a
			// daemon killed in between left "created" and a shim.
			if _, err := os.Stat(s.socketPath(c.ID)); err != nil {
				continue
			}
		default:
			continue
		}
		sh, err := runtime.Connect(ctx, s.socketPath(c.ID))
		if err != nil {
			es, ok, _ := runtime.ReadExitStatus(s.bundleDir(c.ID))
			if !ok {
				es = runtime.ExitStatus{Code: 255, ExitedAt: time.Now().UTC()}
			}
			s.log.Info("container exited while the daemon was down", "container", c.ID, "code", es.Code)
			s.exited(c, newMonitor(nil), es)
			continue
		}
		m := newMonitor(sh)
		c.mu.Lock()
		c.monitor = m
		c.mu.Unlock()
		if st.Status == ctr.StateCreated {
			c.setState(func(cs *State) {
				*cs = State{Status: ctr.StateRunning, Pid: sh.Pid(), StartedAt: time.Now().UTC(), exits: cs.exits}
			})
			_ = s.store.save(c)
		}
		running[c.ID] = c.network()
		s.watchOOM(c, m)
		go s.watch(c, m)
		s.startHealth(c, m) // probes resume where they left off
	}
	s.gcOrphans(ctx)
	return running
}

// gcOrphans removes what containers without a record left behind: a crash
// between deleting a record and releasing its resources (auto-remove does
// the latter after answering), or a crash in the middle of a create.
func (s *Service) gcOrphans(ctx context.Context) {
	known := func(id string) bool { _, err := s.store.get(id); return err == nil && len(id) == 64 }
	if ents, err := os.ReadDir(s.cfg.Root); err == nil {
		for _, e := range ents {
			if id := e.Name(); e.IsDir() && !known(id) && validID(id) {
				s.log.Info("removing orphaned container files", "container", id)
				_ = s.cfg.RootFS.Remove(ctx, id)
				_ = os.RemoveAll(filepath.Join(s.cfg.Root, id))
			}
		}
	}
	if ents, err := os.ReadDir(filepath.Join(s.cfg.ExecRoot, "containers")); err == nil {
		for _, e := range ents {
			if id := e.Name(); !known(id) && validID(id) {
				_ = os.RemoveAll(s.bundleDir(id))
			}
		}
	}
	for _, rt := range s.runtimes {
		s.deleteRuntimeOrphans(ctx, rt)
	}
}

// deleteRuntimeOrphans deletes the runtime state of containers that are
// not running (a crash between their exit and the shim's delete).
func (s *Service) deleteRuntimeOrphans(ctx context.Context, rt ociRuntime) {
	ents, err := os.ReadDir(rt.root)
	if err != nil {
		return
	}
	for _, e := range ents {
		id := e.Name()
		if c, err := s.store.get(id); err == nil && c.snapshot().Running() || !validID(id) {
			continue
		}
		cmd := exec.CommandContext(ctx, rt.path, "--root", rt.root, "delete", "--force", id)
		if out, err := runtime.CombinedOutputCmd(cmd, rt.hideUnified); err != nil {
			s.log.Warn("delete orphaned runtime state", "container", id, "runtime", rt.name, "err", err, "output", string(out))
		}
	}
}

func validID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// closing reports whether the daemon is shutting down (watchers then leave
// containers alone).
func (s *Service) closing() bool {
	select {
	case <-s.shutdown:
		return true
	default:
		return false
	}
}
