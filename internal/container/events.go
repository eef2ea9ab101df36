package container

import (
	"maps"
	"strconv"
	"syscall"

	"github.com/moby/moby/api/types/events"
)

// EventLogger receives lifecycle events (internal/events.Events).
type EventLogger interface {
	Log(action events.Action, typ events.Type, actor events.Actor)
}

// emit publishes a container event with Docker's attributes: the
// container's labels, its image and name, plus extra.
func (s *Service) emit(c *Container, action events.Action, extra map[string]string) {
	if s.cfg.Events == nil {
		return
	}
	attrs := make(map[string]string, len(c.Config.Labels)+2+len(extra))
	maps.Copy(attrs, c.Config.Labels)
	attrs["image"] = c.Config.Image
	attrs["name"] = c.name()
	maps.Copy(attrs, extra)
	s.cfg.Events.Log(action, events.ContainerEventType, events.Actor{ID: c.ID, Attributes: attrs})
}

// emitDie reports an exit: exit code and how long the run lasted.
func (s *Service) emitDie(c *Container, st State) {
	attrs := map[string]string{"exitCode": strconv.Itoa(st.ExitCode)}
	if !st.StartedAt.IsZero() && st.FinishedAt.After(st.StartedAt) {
		attrs["execDuration"] = strconv.Itoa(int(st.FinishedAt.Sub(st.StartedAt).Seconds()))
	}
	s.emit(c, events.ActionDie, attrs)
}

func (s *Service) emitKill(c *Container, sig syscall.Signal) {
	s.emit(c, events.ActionKill, map[string]string{"signal": strconv.Itoa(int(sig))})
}

// LogOOM records an "oom" event for c; the code that learns of an OOM kill
// (the shim's exit status, a cgroup watcher) calls it.
func (s *Service) LogOOM(c *Container) { s.emit(c, events.ActionOOM, nil) }
