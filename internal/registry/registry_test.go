package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
)

func TestInsecure(t *testing.T) {
	c, err := New(Config{Insecure: []string{"reg.example:5000", "10.1.0.0/16", "http://plain.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{
		"127.0.0.1:5000": true, "127.3.4.5": true, "localhost:5000": true, "[::1]:5000": true,
		"reg.example:5000": true, "reg.example:5001": false, "10.1.2.3:443": true, "10.2.0.1": false,
		"plain.example": true, "docker.io": false, "registry.example.com": false,
	}
	for host, want := range tests {
		if got := c.Insecure(host); got != want {
			t.Errorf("Insecure(%q) = %v, want %v", host, got, want)
		}
	}
	if _, err := New(Config{Insecure: []string{"bad host/x"}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad insecure entry: %v", err)
	}
}

func TestClassify(t *testing.T) {
	herr := func(status int, code transport.ErrorCode) error {
		e := &transport.Error{StatusCode: status}
		if code != "" {
			e.Errors = []transport.Diagnostic{{Code: code, Message: strings.ToLower(strings.ReplaceAll(string(code), "_", " "))}}
		}
		return e
	}
	tests := []struct {
		name string
		err  error
		t    target
		kind error
		text string
	}{
		{"manifest unknown", herr(404, transport.ManifestUnknownErrorCode), target{repo: "docker.io/library/busybox", ref: "docker.io/library/busybox:nope"}, errdefs.ErrNotFound, "manifest for busybox:nope not found: manifest unknown: manifest unknown"},
		{"name unknown", herr(404, transport.NameUnknownErrorCode), target{repo: "127.0.0.1:5000/x"}, errdefs.ErrNotFound, "pull access denied for 127.0.0.1:5000/x, repository does not exist or may require 'docker login'"},
		{"anonymous unauthorized", herr(401, transport.UnauthorizedErrorCode), target{repo: "r/x"}, errdefs.ErrNotFound, "pull access denied for r/x"},
		{"bad credentials", herr(401, transport.UnauthorizedErrorCode), target{repo: "r/x", authed: true}, errdefs.ErrUnauthenticated, "unauthorized"},
		{"push denied", herr(403, transport.DeniedErrorCode), target{repo: "r/x", authed: true, push: true}, errdefs.ErrPermissionDenied, "denied"},
		{"push anonymous", herr(401, ""), target{repo: "r/x", push: true}, errdefs.ErrUnauthenticated, "authentication required"},
		{"login", herr(401, ""), target{login: true}, errdefs.ErrUnauthenticated, "login failed"},
		{"server error", herr(503, ""), target{repo: "r/x"}, errdefs.ErrUnavailable, "registry r"},
		{"deadline", context.DeadlineExceeded, target{}, errdefs.ErrUnavailable, "deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err, tt.t)
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("classify = %v, want %v containing %q", err, tt.kind, tt.text)
			}
		})
	}
}

// fakeRegistry serves one blob with range support and one manifest.
func fakeRegistry(t *testing.T, blob []byte, failFirst bool) *httptest.Server {
	d := digest.FromBytes(blob)
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/v2/x/y/blobs/"+d.String():
			calls++
			w.Header().Set("Docker-Content-Digest", d.String())
			if failFirst && calls == 1 && r.Header.Get("Range") == "" {
				w.Header().Set("Content-Length", "10")
				w.Write(blob[:4]) // short body: the client sees an unexpected EOF
				return
			}
			http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(blob)))
		case strings.HasPrefix(r.URL.Path, "/v2/x/y/manifests/"):
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Write([]byte(`{"schemaVersion":2}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSessionBlobRange(t *testing.T) {
	blob := []byte("0123456789abcdef")
	srv := fakeRegistry(t, blob, false)
	c, _ := New(Config{})
	named, _ := reference.ParseNormalizedNamed(strings.TrimPrefix(srv.URL, "http://") + "/x/y")
	repo, err := c.Repository(named)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := c.Open(ctx, repo, registry.AuthConfig{}, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, size, err := s.Blob(ctx, digest.FromBytes(blob), 10)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := rc.Read(buf)
	rc.Close()
	if string(buf[:n]) != "abcdef" || size != int64(len(blob)) {
		t.Errorf("range read %q size %d", buf[:n], size)
	}
	if ok, err := s.BlobExists(ctx, digest.FromString("other")); ok || err != nil {
		t.Errorf("BlobExists(other) = %v, %v", ok, err)
	}
	raw, mt, d, err := s.Manifest(ctx, "v1")
	if err != nil || mt != "application/vnd.oci.image.manifest.v1+json" || d != digest.FromBytes(raw) {
		t.Errorf("Manifest = %s %s %s %v", raw, mt, d, err)
	}
	if _, _, _, err := s.Manifest(ctx, digest.FromString("x").String()); !errors.Is(err, errdefs.ErrDataLoss) {
		t.Errorf("manifest digest mismatch: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	c, _ := New(Config{DialTimeout: time.Second})
	named, _ := reference.ParseNormalizedNamed("127.0.0.1:1/x/y")
	repo, _ := c.Repository(named)
	start := time.Now()
	_, err := c.Open(context.Background(), repo, registry.AuthConfig{}, false)
	if !errors.Is(err, errdefs.ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Errorf("Open = %v after %v", err, time.Since(start))
	}
}

// TestOpenHangingRegistry: a registry that accepts connections but never
// answers is reported unavailable once the response timeout passes, not
// waited on forever.
func TestOpenHangingRegistry(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c, _ := New(Config{DialTimeout: time.Second, ResponseTimeout: 300 * time.Millisecond})
	named, _ := reference.ParseNormalizedNamed(strings.TrimPrefix(srv.URL, "http://") + "/x/y")
	repo, _ := c.Repository(named)
	start := time.Now()
	_, err := c.Open(context.Background(), repo, registry.AuthConfig{}, false)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("Open = %v after %v", err, time.Since(start))
	}
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("want unavailable, got %v", err)
	}
}
