package system

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/berth-engine/berth/internal/events"
	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/containerd/errdefs"
	apievents "github.com/moby/moby/api/types/events"
)

// EventsBackend is the event bus as GET /events needs it.
type EventsBackend interface {
	Subscribe(since time.Time, f events.Filter) ([]apievents.Message, *events.Subscription)
}

// EventsRoutes returns GET /events.
func EventsRoutes(b EventsBackend) []httputil.Route {
	return []httputil.Route{{Method: http.MethodGet, Path: "/events", Handler: eventsRouter{b}.getEvents}}
}

type eventsRouter struct{ b EventsBackend }

// wireMessage adds the fields Docker sends up to API 1.51 (status, id,
// from) that the current Message type no longer has.
type wireMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	apievents.Message
}

func legacy(m apievents.Message) wireMessage {
	w := wireMessage{Message: m}
	switch m.Type {
	case apievents.ContainerEventType:
		w.Status, w.ID, w.From = string(m.Action), m.Actor.ID, m.Actor.Attributes["image"]
	case apievents.ImageEventType:
		w.Status, w.ID = string(m.Action), m.Actor.ID
	}
	return w
}

// getEvents streams the events the filters accept: first the recorded ones
// since `since`, then live ones, until `until` passes or the client leaves.
func (r eventsRouter) getEvents(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	since, until, err := eventsWindow(req)
	if err != nil {
		return err
	}
	raw, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	f := events.Filter(raw)
	if err := f.Validate(); err != nil {
		return err
	}
	past, sub := r.b.Subscribe(since, f)
	defer sub.Close()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	send := func(m apievents.Message) error {
		if err := enc.Encode(legacy(m)); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	for _, m := range past {
		if !until.IsZero() && m.TimeNano > until.UnixNano() {
			return nil
		}
		if err := send(m); err != nil {
			return nil
		}
	}
	if flusher != nil {
		flusher.Flush()
	}
	return stream(ctx, sub, until, send)
}

func stream(ctx context.Context, sub *events.Subscription, until time.Time, send func(apievents.Message) error) error {
	var deadline <-chan time.Time
	if !until.IsZero() {
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		deadline = t.C
	}
	for {
		select {
		case m, ok := <-sub.C:
			if !ok {
				return nil // fell behind and was dropped: end the stream
			}
			if !until.IsZero() && m.TimeNano > until.UnixNano() {
				return nil
			}
			if err := send(m); err != nil {
				return nil
			}
		case <-deadline:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

func eventsWindow(req *http.Request) (since, until time.Time, err error) {
	if since, err = httputil.ParseTimestamp(req.Form.Get("since")); err != nil {
		return since, until, err
	}
	if until, err = httputil.ParseTimestamp(req.Form.Get("until")); err != nil {
		return since, until, err
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return since, until, fmt.Errorf("since time (%s) cannot be after until time (%s): %w",
			req.Form.Get("since"), req.Form.Get("until"), errdefs.ErrInvalidArgument)
	}
	return since, until, nil
}
