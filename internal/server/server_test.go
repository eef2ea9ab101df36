package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/containerd/errdefs"
)

func TestRoutingVersionsAndErrors(t *testing.T) {
	echo := func(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
		_, err := fmt.Fprintf(w, "%s %s", vars["name"], httputil.VersionFromContext(ctx))
		return err
	}
	fail := func(err error) httputil.HandlerFunc {
		return func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error { return err }
	}
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), "test", []httputil.Route{
		{Method: "GET", Path: "/containers/{name}/json", Handler: echo},
		{Method: "GET", Path: "/images/{name:.*}/json", Handler: echo},
		{Method: "POST", Path: "/notfound", Handler: fail(fmt.Errorf("No such container: x: %w", errdefs.ErrNotFound))},
		{Method: "POST", Path: "/conflict", Handler: fail(fmt.Errorf("name in use: %w", errdefs.ErrConflict))},
		{Method: "POST", Path: "/notmodified", Handler: fail(fmt.Errorf("already started: %w", errdefs.ErrNotModified))},
		{Method: "POST", Path: "/boom", Handler: fail(fmt.Errorf("boom"))},
	})
	cases := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/containers/abc/json", 200, "abc " + APIVersion},
		{"GET", "/v1.30/containers/abc/json", 200, "abc 1.30"},
		{"GET", "/v1.41/images/localhost:5000/a/b:tag/json", 200, "localhost:5000/a/b:tag 1.41"},
		{"GET", "/v1.23/containers/abc/json", 400, "too old"},
		{"GET", "/v1.99/containers/abc/json", 400, "too new"},
		{"POST", "/notfound", 404, `{"message":"No such container: x"}`},
		{"POST", "/conflict", 409, `{"message":"name in use"}`},
		{"POST", "/notmodified", 304, ""},
		{"POST", "/boom", 500, `{"message":"boom"}`},
		{"GET", "/nothing", 404, "page not found"},
		{"DELETE", "/containers/abc/json", 404, "page not found"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Api-Version") != APIVersion {
			t.Errorf("missing Api-Version header")
		}
	}
}

func TestFiltersBothShapes(t *testing.T) {
	for _, raw := range []string{`{"status":["exited","created"]}`, `{"status":{"exited":true,"created":true}}`} {
		req := httptest.NewRequest("GET", "/x?filters="+raw, nil)
		_ = req.ParseForm()
		f, err := httputil.Filters(req)
		if err != nil || len(f["status"]) != 2 {
			t.Errorf("%s: %v %v", raw, f, err)
		}
	}
	req := httptest.NewRequest("GET", "/x?filters={bad", nil)
	_ = req.ParseForm()
	if _, err := httputil.Filters(req); !errdefs.IsInvalidArgument(err) {
		t.Errorf("malformed filters: %v", err)
	}
}

func TestParseTimestamp(t *testing.T) {
	for in, wantUnix := range map[string]int64{"1700000000": 1700000000, "1700000000.5": 1700000000, "2023-11-14T22:13:20Z": 1700000000} {
		ts, err := httputil.ParseTimestamp(in)
		if err != nil || ts.Unix() != wantUnix {
			t.Errorf("%s: %v %v", in, ts, err)
		}
	}
	if _, err := httputil.ParseTimestamp("yesterday"); err == nil {
		t.Error("want error")
	}
}
