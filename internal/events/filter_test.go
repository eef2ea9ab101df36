package events

import (
	"testing"

	"github.com/moby/moby/api/types/events"
)

func TestFilterInclude(t *testing.T) {
	web := ctrEvent("start", "0123456789abcdef", "web")
	web.Actor.Attributes["tier"] = "front"
	health := ctrEvent("health_status: healthy", "0123456789abcdef", "web")
	img := events.Message{Type: events.ImageEventType, Action: "tag",
		Actor: events.Actor{ID: "sha256:aaaa", Attributes: map[string]string{"name": "busybox:latest"}}}
	cases := []struct {
		f    Filter
		m    events.Message
		want bool
	}{
		{nil, web, true},
		{Filter{"type": {"container"}}, web, true},
		{Filter{"type": {"image"}}, web, false},
		{Filter{"type": {"image", "container"}}, web, true},
		{Filter{"event": {"start"}}, web, true},
		{Filter{"event": {"stop", "die"}}, web, false},
		{Filter{"event": {"health_status"}}, health, true},
		{Filter{"event": {"health_status: healthy"}}, health, true},
		{Filter{"event": {"health_status: unhealthy"}}, health, false},
		{Filter{"container": {"web"}}, web, true},
		{Filter{"container": {"0123"}}, web, true},
		{Filter{"container": {"we"}}, web, false},
		{Filter{"container": {"web"}}, img, false},
		{Filter{"image": {"busybox"}}, web, true},
		{Filter{"image": {"busybox"}}, img, true},
		{Filter{"image": {"busybox:latest"}}, img, true},
		{Filter{"image": {"sha256:aaaa"}}, img, true},
		{Filter{"image": {"alpine"}}, img, false},
		{Filter{"label": {"tier"}}, web, true},
		{Filter{"label": {"tier=front"}}, web, true},
		{Filter{"label": {"tier=back"}}, web, false},
		{Filter{"label": {"tier", "missing"}}, web, false},
		{Filter{"type": {"container"}, "event": {"start"}, "container": {"web"}}, web, true},
		{Filter{"scope": {"swarm"}}, web, false},
	}
	for _, tc := range cases {
		tc.m.Scope = "local"
		if got := tc.f.Include(tc.m); got != tc.want {
			t.Errorf("%v on %s %s: got %v", tc.f, tc.m.Type, tc.m.Action, got)
		}
	}
}

func TestFilterValidate(t *testing.T) {
	if err := (Filter{"type": {"x"}, "container": {"y"}}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Filter{"bogus": {"x"}}).Validate(); err == nil {
		t.Fatal("want error")
	}
}

func TestStripTag(t *testing.T) {
	for in, want := range map[string]string{
		"busybox:latest": "busybox", "busybox": "busybox", "localhost:5000/x:1": "localhost:5000/x",
		"localhost:5000/x": "localhost:5000/x", "x@sha256:ab": "x", "sha256:ab": "sha256:ab",
	} {
		if got := stripTag(in); got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
}
