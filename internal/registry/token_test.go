package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// tokenRegistry answers like a registry behind a token server (Docker
// Hub's scheme): /v2/ requests without a bearer token get 401 with a
// Bearer challenge; the token endpoint checks basic credentials and hands
// out a token; requests with it succeed.
func tokenRegistry(t *testing.T, user, pass string) (*httptest.Server, *int) {
	t.Helper()
	var srv *httptest.Server
	issued := new(int)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if r.URL.Query().Get("service") != "fake" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			*issued++
			fmt.Fprint(w, `{"token":"tok-123","expires_in":300}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake",scope="repository:x/y:pull"`, srv.URL))
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		switch {
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case strings.HasPrefix(r.URL.Path, "/v2/x/y/manifests/"):
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			fmt.Fprint(w, `{"schemaVersion":2}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, issued
}

func TestTokenAuth(t *testing.T) {
	srv, issued := tokenRegistry(t, "alice", "s3cret")
	host := strings.TrimPrefix(srv.URL, "http://")
	c, _ := New(Config{})
	named, _ := reference.ParseNormalizedNamed(host + "/x/y")
	repo, _ := c.Repository(named)
	ctx := context.Background()

	good := registry.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: host}
	s, err := c.Open(ctx, repo, good, false)
	if err != nil {
		t.Fatalf("open with credentials: %v", err)
	}
	if _, _, _, err := s.Manifest(ctx, "latest"); err != nil {
		t.Fatalf("manifest with token: %v", err)
	}
	if *issued == 0 {
		t.Fatal("no token was requested from the token server")
	}
	if _, err := c.Login(ctx, good); err != nil {
		t.Fatalf("login: %v", err)
	}
	bad := good
	bad.Password = "wrong"
	if _, err := c.Login(ctx, bad); !errors.Is(err, errdefs.ErrUnauthenticated) {
		t.Fatalf("login with a wrong password: %v", err)
	}
}
