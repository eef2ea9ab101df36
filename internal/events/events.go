package events

import (
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
)

// Default sizes: how many past events the ring keeps for --since, and how
// many undelivered events a subscriber may have before it is dropped.
const (
	DefaultRingSize   = 1024
	subscriberBacklog = 1024
)

// Events is the event bus. The zero value is not usable; call New.
type Events struct {
	mu   sync.Mutex
	ring []events.Message // circular once full; ring[head] is the oldest
	head int
	size int
	subs map[*Subscription]struct{}
	now  func() time.Time
}

// Option configures Events.
type Option func(*Events)

// WithRingSize sets how many past events are kept for replay.
func WithRingSize(n int) Option { return func(e *Events) { e.size = max(n, 1) } }

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) Option { return func(e *Events) { e.now = now } }

// New returns an empty event bus.
func New(opts ...Option) *Events {
	e := &Events{size: DefaultRingSize, subs: map[*Subscription]struct{}{}, now: time.Now}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Log publishes an event of typ about actor, stamped with the current time.
func (e *Events) Log(action events.Action, typ events.Type, actor events.Actor) {
	e.Publish(events.Message{Type: typ, Action: action, Actor: actor})
}

// Publish records m in the ring and hands it to every subscriber whose
// filter accepts it. A zero time is set to now; Scope defaults to "local".
func (e *Events) Publish(m events.Message) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m.TimeNano == 0 {
		t := e.now()
		m.Time, m.TimeNano = t.Unix(), t.UnixNano()
	}
	if m.Scope == "" {
		m.Scope = "local"
	}
	if m.Actor.Attributes == nil {
		m.Actor.Attributes = map[string]string{}
	}
	if len(e.ring) < e.size {
		e.ring = append(e.ring, m)
	} else {
		e.ring[e.head] = m
		e.head = (e.head + 1) % e.size
	}
	for s := range e.subs {
		if !s.filter.Include(m) {
			continue
		}
		select {
		case s.ch <- m:
		default: // too slow: drop it rather than block the engine
			delete(e.subs, s)
			close(s.ch)
		}
	}
}

// Subscription is one listener. C yields events until Close, or until the
// subscriber fell behind and was dropped (C is then closed).
type Subscription struct {
	C      <-chan events.Message
	ch     chan events.Message
	filter Filter
	bus    *Events
	once   sync.Once
}

// Subscribe returns the recorded events at or after since that f accepts
// (none when since is zero) and a subscription to the events that follow;
// nothing is lost or repeated between the two.
func (e *Events) Subscribe(since time.Time, f Filter) ([]events.Message, *Subscription) {
	ch := make(chan events.Message, subscriberBacklog)
	s := &Subscription{C: ch, ch: ch, filter: f, bus: e}
	e.mu.Lock()
	defer e.mu.Unlock()
	var past []events.Message
	if !since.IsZero() {
		from := since.UnixNano()
		for i := range e.ring {
			m := e.ring[(e.head+i)%len(e.ring)]
			if m.TimeNano >= from && f.Include(m) {
				past = append(past, m)
			}
		}
	}
	e.subs[s] = struct{}{}
	return past, s
}

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		defer s.bus.mu.Unlock()
		if _, ok := s.bus.subs[s]; ok {
			delete(s.bus.subs, s)
			close(s.ch)
		}
	})
}

// Subscribers reports how many subscriptions are open (tests, /info).
func (e *Events) Subscribers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.subs)
}
