package system

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
)

func TestEventPrinter(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6, time.Local)
	m := events.Message{Type: "container", Action: "die", Time: ts.Unix(), TimeNano: ts.UnixNano(),
		Actor: events.Actor{ID: "abc", Attributes: map[string]string{"name": "web", "exitCode": "1", "image": "busybox"}}}
	cases := map[string]string{
		"":                                       ts.Format(rfc3339NanoFixed) + " container die abc (exitCode=1, image=busybox, name=web)\n",
		"{{.Action}} {{.Actor.Attributes.name}}": "die web\n",
		"json":                                   `"Action":"die"`,
	}
	for format, want := range cases {
		show, err := eventPrinter(format)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := show(&buf, m); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%q: got %q want %q", format, buf.String(), want)
		}
	}
	if _, err := eventPrinter("{{.Nope"); err == nil {
		t.Error("bad template accepted")
	}
}
