package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
)

// DefaultCertsDir is where Berth looks for per-registry certificates, laid
// out as Docker's /etc/docker/certs.d: <dir>/<host[:port]>/ca.crt (any
// *.crt is a trusted CA) and client.cert + client.key for client auth.
const DefaultCertsDir = "/etc/berth/certs.d"

// hostCertsDir returns <CertsDir>/<host> when it exists.
func (c *Client) hostCertsDir(host string) (string, bool) {
	if c.cfg.CertsDir == "" || host == "" || strings.ContainsAny(host, `/\`) || host == "." || host == ".." {
		return "", false
	}
	dir := filepath.Join(c.cfg.CertsDir, host)
	fi, err := os.Stat(dir)
	return dir, err == nil && fi.IsDir()
}

// tlsTransport returns the transport for a host with a certificates
// directory: the system roots plus the directory's CAs, and its client
// certificate. Transports are cached per host.
func (c *Client) tlsTransport(host, dir string) (http.RoundTripper, error) {
	if rt, ok := c.hostTransports.Load(host); ok {
		return rt.(http.RoundTripper), nil
	}
	cfg, err := loadTLSConfig(dir)
	if err != nil {
		return nil, err
	}
	t := c.transport(false).(*http.Transport)
	t.TLSClientConfig = cfg
	rt, _ := c.hostTransports.LoadOrStore(host, httpsOnly{t})
	return rt.(http.RoundTripper), nil
}

func loadTLSConfig(dir string) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".crt") {
			continue
		}
		pem, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate: %w", filepath.Join(dir, e.Name()), errdefs.ErrInvalidArgument)
		}
	}
	cert, key := filepath.Join(dir, "client.cert"), filepath.Join(dir, "client.key")
	if _, err := os.Stat(cert); err == nil {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("client certificate in %s: %v: %w", dir, err, errdefs.ErrInvalidArgument)
		}
		cfg.Certificates = []tls.Certificate{pair}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return cfg, nil
}

// httpsOnly refuses plain http: the registry client falls back to http
// for loopback hosts when https fails, which must not happen to a registry
// the admin configured certificates for.
type httpsOnly struct{ rt http.RoundTripper }

func (h httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return nil, fmt.Errorf("registry %s has certificates configured: refusing plain %s: %w", req.URL.Host, req.URL.Scheme, errdefs.ErrPermissionDenied)
	}
	return h.rt.RoundTrip(req)
}

// errTransport fails every request with the error that prevented building
// the host's TLS configuration (a broken certificates directory).
type errTransport struct{ err error }

func (e errTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, e.err }
