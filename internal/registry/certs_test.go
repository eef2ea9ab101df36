package registry

import (
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestCertsDir(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	certs := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(certs, host), 0o755))
	caPEM := pemOf(t, srv)
	must(os.WriteFile(filepath.Join(certs, host, "ca.crt"), caPEM, 0o644))
	must(os.MkdirAll(filepath.Join(certs, "127.0.0.1:1"), 0o755))
	must(os.WriteFile(filepath.Join(certs, "127.0.0.1:1", "ca.crt"), []byte("garbage"), 0o644))

	c, err := New(Config{CertsDir: certs})
	must(err)
	tests := map[string]bool{host: false, "127.0.0.1:1": false, "127.0.0.1:2": true}
	for h, want := range tests {
		if got := c.Insecure(h); got != want {
			t.Errorf("Insecure(%q) = %v, want %v", h, got, want)
		}
	}
	reg, err := name.NewRegistry(host)
	must(err)
	rt := c.roundTripper(reg)
	resp, err := rt.RoundTrip(mustReq(t, srv.URL+"/v2/"))
	if err != nil {
		t.Fatalf("https with the directory's CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("status %d", resp.StatusCode)
	}
	if _, err := rt.RoundTrip(mustReq(t, "http://"+host+"/v2/")); !errors.Is(err, errdefs.ErrPermissionDenied) {
		t.Errorf("plain http to a host with certificates: %v", err)
	}
	bad, _ := name.NewRegistry("127.0.0.1:1")
	if _, err := c.roundTripper(bad).RoundTrip(mustReq(t, "https://127.0.0.1:1/v2/")); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("broken ca.crt: %v", err)
	}
}

func pemOf(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	cert := srv.Certificate()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

func mustReq(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
