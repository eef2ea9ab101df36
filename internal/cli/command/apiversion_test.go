package command

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"

	"github.com/berth-engine/berth/internal/version"
)

// fakeDaemon serves the Engine API up to maxVersion on a unix socket and
// records the requests it gets ("HEAD /_ping", "POST /v1.41/…").
type fakeDaemon struct {
	maxVersion string
	mu         sync.Mutex
	requests   []string
}

func (f *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if r.URL.Path == "/_ping" {
		w.Header().Set("API-Version", f.maxVersion)
		return
	}
	if v, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v"), "/"); v != f.maxVersion {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"client version %s is too new. Maximum supported API version is %s"}`, v, f.maxVersion)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/containers/create") {
		if strings.Contains(string(body), `"Image":"long-error"`) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"%s END"}`, strings.Repeat("x", 2*maxErrorBody))
			return
		}
		if !strings.Contains(string(body), `"Image":"busybox"`) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"body lost: %q"}`, body)
			return
		}
		fmt.Fprint(w, `{"Id":"abc","Warnings":[]}`)
		return
	}
	fmt.Fprint(w, `[]`)
}

func (f *fakeDaemon) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func serveFake(t *testing.T, maxVersion string) (*fakeDaemon, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDaemon{maxVersion: maxVersion}
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return f, "unix://" + sock
}

// TestNewClientNoPing: against a daemon of Berth's own API version, the
// first request goes out at once, with no /_ping before it.
func TestNewClientNoPing(t *testing.T) {
	f, host := serveFake(t, version.APIVersion)
	c, _, err := newClient(host)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerList(context.Background(), client.ContainerListOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /v" + version.APIVersion + "/containers/json"}
	if got := f.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests %q, want %q", got, want)
	}
}

// TestNewClientOlderDaemon: a daemon that finds the version too new gets
// the request again, body included, at the version its /_ping reports;
// later requests use that version directly.
func TestNewClientOlderDaemon(t *testing.T) {
	f, host := serveFake(t, "1.41")
	c, _, err := newClient(host)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Image: "busybox"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "abc" {
		t.Fatalf("created %q", res.ID)
	}
	if _, err := c.ContainerList(ctx, client.ContainerListOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /v" + version.APIVersion + "/containers/create", "HEAD /_ping", "POST /v1.41/containers/create", "GET /v1.41/containers/json"}
	if got := f.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests %q, want %q", got, want)
	}
	if v := c.ClientVersion(); v != "1.41" {
		t.Fatalf("client version %s after negotiation", v)
	}
}

// TestNewClientOtherBadRequest: a 400 that is not about the version
// reaches the caller whole, however long, and is not sent again.
func TestNewClientOtherBadRequest(t *testing.T) {
	f, host := serveFake(t, version.APIVersion)
	c, _, err := newClient(host)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ContainerCreate(context.Background(), client.ContainerCreateOptions{Image: "long-error"})
	if err == nil || !strings.HasSuffix(err.Error(), " END") {
		t.Fatalf("error %v", err)
	}
	if got := f.got(); len(got) != 1 {
		t.Fatalf("requests %q", got)
	}
}
