package container

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"github.com/berth-engine/berth/internal/cli/command"
)

// fakeCreates serves /containers/create on a unix socket: status and
// answer for every request, and what each request carried.
type fakeCreates struct {
	status int
	answer string

	mu     sync.Mutex
	bodies []map[string]any
	names  []string
	conns  int
}

func (f *fakeCreates) start(t *testing.T) *command.CLI {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/containers/create") {
			http.NotFound(w, r)
			return
		}
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("create body %q: %v", raw, err)
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.names = append(f.names, r.URL.Query().Get("name"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, f.answer)
	})}
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	var out, errOut bytes.Buffer
	c := command.New()
	c.Out, c.Err, c.Host = &out, &errOut, "unix://"+sock
	return c
}

func TestCreateDirect(t *testing.T) {
	f := &fakeCreates{status: http.StatusCreated, answer: `{"Id":"c0ffee","Warnings":["careful"]}`}
	c := f.start(t)
	req := createRequest{
		config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
		hostConfig: &container.HostConfig{CapAdd: []string{"net_admin", "CAP_NET_ADMIN", "ALL"}},
	}
	id, err := createContainer(context.Background(), c, &createOptions{name: "web"}, req)
	if err != nil || id != "c0ffee" {
		t.Fatalf("got %q, %v", id, err)
	}
	if len(f.bodies) != 1 || f.names[0] != "web" {
		t.Fatalf("requests %d, names %q", len(f.bodies), f.names)
	}
	body := f.bodies[0]
	if _, ok := body["Hostname"]; ok {
		t.Errorf("unset Hostname sent: %v", body)
	}
	caps := body["HostConfig"].(map[string]any)["CapAdd"]
	if b, _ := json.Marshal(caps); string(b) != `["ALL","CAP_NET_ADMIN"]` {
		t.Errorf("CapAdd %s, want canonical names", b)
	}
	if got := c.Err.(*bytes.Buffer).String(); got != "WARNING: careful\n" {
		t.Errorf("stderr %q", got)
	}
	// The API client's next request (the start, in `run`) takes the same
	// connection.
	api, _ := c.Client(context.Background())
	if _, err := api.ContainerCreate(context.Background(), createOptionsFor("", req)); err != nil {
		t.Fatal(err)
	}
	if f.conns != 1 {
		t.Errorf("%d connections, want 1", f.conns)
	}
}

// A refused create goes once more through the API client, whose typed
// error the caller gets.
func TestCreateDirectRefused(t *testing.T) {
	f := &fakeCreates{status: http.StatusConflict, answer: `{"message":"name in use"}`}
	c := f.start(t)
	req := createRequest{config: &container.Config{Image: "busybox"}}
	_, err := createContainer(context.Background(), c, &createOptions{name: "web"}, req)
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "name in use") {
		t.Fatalf("got %v, want the daemon's conflict", err)
	}
	if len(f.bodies) != 2 {
		t.Fatalf("%d requests, want the direct one and the API client's", len(f.bodies))
	}
	if !equalJSON(f.bodies[0]["Image"], f.bodies[1]["Image"]) {
		t.Errorf("the two requests differ: %v, %v", f.bodies[0], f.bodies[1])
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
