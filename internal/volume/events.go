package volume

import (
	"github.com/moby/moby/api/types/events"
)

// EventLogger receives volume events (internal/events.Events).
type EventLogger interface {
	Log(action events.Action, typ events.Type, actor events.Actor)
}

// Option configures a Service.
type Option func(*Service)

// WithEvents publishes Docker's volume events: create, destroy, mount and
// unmount.
func WithEvents(e EventLogger) Option { return func(s *Service) { s.events = e } }

func (s *Service) emit(action events.Action, name string, attrs map[string]string) {
	if s.events == nil {
		return
	}
	a := map[string]string{"driver": "local"}
	for k, v := range attrs {
		a[k] = v
	}
	s.events.Log(action, events.VolumeEventType, events.Actor{ID: name, Attributes: a})
}
