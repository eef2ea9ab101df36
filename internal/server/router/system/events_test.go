package system

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/events"
	"github.com/containerd/errdefs"
	apievents "github.com/moby/moby/api/types/events"
)

func getEvents(t *testing.T, bus *events.Events, q url.Values) (*httptest.ResponseRecorder, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/events?"+q.Encode(), nil)
	if err := req.ParseForm(); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return rec, eventsRouter{bus}.getEvents(ctx, rec, req, nil)
}

func TestGetEventsReplayWindow(t *testing.T) {
	bus := events.New()
	for _, a := range []apievents.Action{"create", "start", "die"} {
		bus.Log(a, apievents.ContainerEventType, apievents.Actor{ID: "c1", Attributes: map[string]string{"image": "busybox", "name": "web"}})
	}
	bus.Log("tag", apievents.ImageEventType, apievents.Actor{ID: "sha256:1", Attributes: map[string]string{"name": "x:1"}})
	now := strconv.FormatInt(time.Now().Unix()+1, 10)
	cases := []struct {
		filters string
		want    []string
	}{
		{"", []string{"create", "start", "die", "tag"}},
		{`{"type":["container"],"event":["die","create"]}`, []string{"create", "die"}},
		{`{"image":["busybox"]}`, []string{"create", "start", "die"}},
	}
	for _, tc := range cases {
		q := url.Values{"since": {"1"}, "until": {now}}
		if tc.filters != "" {
			q.Set("filters", tc.filters)
		}
		rec, err := getEvents(t, bus, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
		for dec.More() {
			var m struct {
				apievents.Message
				Status string `json:"status"`
			}
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.Type == apievents.ContainerEventType && m.Status != string(m.Action) {
				t.Errorf("legacy status field: %q", m.Status)
			}
			got = append(got, string(m.Action))
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %v want %v", tc.filters, got, tc.want)
		}
	}
}

func TestGetEventsBadInput(t *testing.T) {
	bus := events.New()
	for _, q := range []url.Values{
		{"filters": {`{"bogus":["x"]}`}},
		{"since": {"20"}, "until": {"10"}},
		{"since": {"yesterday"}},
	} {
		if _, err := getEvents(t, bus, q); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%v: %v", q, err)
		}
	}
}

func TestGetEventsStreamsLive(t *testing.T) {
	bus := events.New()
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		until := strconv.FormatFloat(float64(time.Now().Add(500*time.Millisecond).UnixNano())/1e9, 'f', 9, 64)
		rec, _ := getEvents(t, bus, url.Values{"until": {until}})
		done <- rec
	}()
	for bus.Subscribers() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	bus.Log("start", apievents.ContainerEventType, apievents.Actor{ID: "c2"})
	rec := <-done
	if !strings.Contains(rec.Body.String(), `"Action":"start"`) {
		t.Fatalf("body %q", rec.Body.String())
	}
	if bus.Subscribers() != 0 {
		t.Fatal("subscription left open")
	}
}
