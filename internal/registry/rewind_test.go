package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
)

// expiringTokenRegistry is a bearer-token registry whose token expires
// right after an upload starts: the PUT that completes the upload is read
// in full, then refused with a Bearer challenge, so the client must get a
// new token and send the whole body again. It records what each accepted
// PUT carried.
type expiringTokenRegistry struct {
	srv *httptest.Server

	mu      sync.Mutex
	token   int // current token generation
	expire  bool
	puts    int
	got     map[string][]byte // digest → accepted body
	refused int
}

func newExpiringTokenRegistry(t *testing.T) *expiringTokenRegistry {
	t.Helper()
	r := &expiringTokenRegistry{got: map[string][]byte{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *expiringTokenRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.URL.Path == "/token" {
		r.token++
		fmt.Fprintf(w, `{"token":"tok-%d","expires_in":300}`, r.token)
		return
	}
	body, _ := io.ReadAll(req.Body)
	if req.Header.Get("Authorization") != fmt.Sprintf("Bearer tok-%d", r.token) || (r.expire && req.Method == http.MethodPut) {
		if req.Method == http.MethodPut {
			r.expire = false
			r.refused++
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake",scope="repository:x/y:pull,push"`, r.srv.URL))
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		return
	}
	switch {
	case req.URL.Path == "/v2/":
	case req.Method == http.MethodPost && req.URL.Path == "/v2/x/y/blobs/uploads/":
		r.expire = true
		w.Header().Set("Location", "/v2/x/y/blobs/uploads/u1?_state=s")
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPut && strings.HasPrefix(req.URL.Path, "/v2/x/y/blobs/uploads/"):
		want := req.URL.Query().Get("digest")
		if digest.FromBytes(body).String() != want {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}`)
			return
		}
		r.puts++
		r.got[want] = body
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestPutBlobResendsBodyOnTokenRefresh: when the registry refuses an
// upload's PUT because the token expired, the retry with a fresh token
// carries the whole blob again, not what is left of a consumed body.
func TestPutBlobResendsBodyOnTokenRefresh(t *testing.T) {
	blob := bytes.Repeat([]byte("berth layer "), 50000)
	d := digest.FromBytes(blob)
	tests := []struct {
		name string
		body func() io.Reader
	}{
		{"seekable body", func() io.Reader { return bytes.NewReader(blob) }},
		{"seekable body wrapped", func() io.Reader { return &seekOnly{bytes.NewReader(blob)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newExpiringTokenRegistry(t)
			host := strings.TrimPrefix(reg.srv.URL, "http://")
			c, _ := New(Config{})
			named, _ := reference.ParseNormalizedNamed(host + "/x/y")
			repo, _ := c.Repository(named)
			ctx := context.Background()
			s, err := c.Open(ctx, repo, registry.AuthConfig{Username: "alice", Password: "pw"}, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.PutBlob(ctx, d, int64(len(blob)), tt.body()); err != nil {
				t.Fatalf("PutBlob: %v", err)
			}
			reg.mu.Lock()
			defer reg.mu.Unlock()
			if reg.refused != 1 || reg.puts != 1 || !bytes.Equal(reg.got[d.String()], blob) {
				t.Errorf("refused %d, accepted %d PUTs, stored %d of %d bytes", reg.refused, reg.puts, len(reg.got[d.String()]), len(blob))
			}
		})
	}
}

// seekOnly hides every method but Read and Seek (as a progress counter does).
type seekOnly struct{ rs io.ReadSeeker }

func (s *seekOnly) Read(p []byte) (int, error)                { return s.rs.Read(p) }
func (s *seekOnly) Seek(off int64, whence int) (int64, error) { return s.rs.Seek(off, whence) }
