package events

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
)

func ctrEvent(action events.Action, id, name string) events.Message {
	return events.Message{Type: events.ContainerEventType, Action: action,
		Actor: events.Actor{ID: id, Attributes: map[string]string{"name": name, "image": "busybox"}}}
}

func TestPublishStampsAndDelivers(t *testing.T) {
	now := time.Unix(1700000000, 5)
	e := New(WithClock(func() time.Time { return now }))
	_, sub := e.Subscribe(time.Time{}, nil)
	defer sub.Close()
	e.Log(events.ActionCreate, events.ContainerEventType, events.Actor{ID: "abc"})
	m := <-sub.C
	if m.Time != now.Unix() || m.TimeNano != now.UnixNano() || m.Scope != "local" || m.Actor.Attributes == nil {
		t.Fatalf("%+v", m)
	}
}

func TestSubscribeReplaysSince(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := New(WithRingSize(3), WithClock(func() time.Time { return clock }))
	for i, a := range []events.Action{"create", "start", "die", "destroy"} {
		clock = time.Unix(1000+int64(i), 0)
		e.Publish(ctrEvent(a, "c1", "web"))
	}
	cases := []struct {
		since time.Time
		f     Filter
		want  []events.Action
	}{
		{time.Time{}, nil, nil},
		{time.Unix(1, 0), nil, []events.Action{"start", "die", "destroy"}}, // ring keeps 3
		{time.Unix(1002, 0), nil, []events.Action{"die", "destroy"}},
		{time.Unix(1, 0), Filter{"event": {"die"}}, []events.Action{"die"}},
	}
	for _, tc := range cases {
		past, sub := e.Subscribe(tc.since, tc.f)
		sub.Close()
		if len(past) != len(tc.want) {
			t.Fatalf("since %v %v: got %d events", tc.since, tc.f, len(past))
		}
		for i := range past {
			if past[i].Action != tc.want[i] {
				t.Errorf("since %v: got %s want %s", tc.since, past[i].Action, tc.want[i])
			}
		}
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	e := New()
	_, slow := e.Subscribe(time.Time{}, nil)
	for i := 0; i < subscriberBacklog+10; i++ {
		e.Publish(ctrEvent("start", "c1", "web"))
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != subscriberBacklog || e.Subscribers() != 0 {
		t.Fatalf("got %d events, %d subscribers", n, e.Subscribers())
	}
	slow.Close() // after a drop, Close is a no-op
}

func TestCloseStopsDelivery(t *testing.T) {
	e := New()
	_, sub := e.Subscribe(time.Time{}, Filter{"type": {"image"}})
	e.Publish(ctrEvent("start", "c1", "web"))
	sub.Close()
	sub.Close()
	e.Publish(events.Message{Type: events.ImageEventType, Action: "tag"})
	if _, ok := <-sub.C; ok {
		t.Fatal("event after close")
	}
}
