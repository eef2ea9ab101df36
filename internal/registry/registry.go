package registry

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

// Config holds the daemon-wide registry settings.
type Config struct {
	// Insecure lists registries (host[:port]) or networks (CIDR) reached
	// over plain http or unverified https (dockerd's --insecure-registry).
	Insecure []string
	// DialTimeout bounds connecting (and the TLS handshake); default 10s.
	DialTimeout time.Duration
	// ResponseTimeout bounds the wait for response headers; default 30s.
	ResponseTimeout time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// CertsDir holds per-registry certificates (see DefaultCertsDir); a
	// registry with a directory there is always reached over verified
	// https, even on a loopback address. "" disables the lookup.
	CertsDir string
}

// Client opens registry sessions. It is safe for concurrent use.
type Client struct {
	cfg      Config
	nets     []*net.IPNet
	hosts    map[string]bool
	secure   http.RoundTripper
	insecure http.RoundTripper

	hostTransports sync.Map // host → http.RoundTripper for hosts with certificates
}

// New returns a client with cfg's settings.
func New(cfg Config) (*Client, error) {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = 30 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "berth"
	}
	c := &Client{cfg: cfg, hosts: map[string]bool{}}
	for _, s := range cfg.Insecure {
		if _, n, err := net.ParseCIDR(s); err == nil {
			c.nets = append(c.nets, n)
			continue
		}
		h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://"), "/")
		if h == "" || strings.ContainsAny(h, "/ ") {
			return nil, fmt.Errorf("insecure registry %q is not a host[:port] or CIDR: %w", s, errdefs.ErrInvalidArgument)
		}
		c.hosts[h] = true
	}
	c.secure = c.transport(false)
	c.insecure = c.transport(true)
	return c, nil
}

func (c *Client) transport(skipVerify bool) http.RoundTripper {
	d := &net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   c.cfg.DialTimeout,
		ResponseHeaderTimeout: c.cfg.ResponseTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: skipVerify, MinVersion: tls.VersionTLS12}, //nolint:gosec // only for registries the admin marked insecure
	}
}

// Insecure reports whether host (host[:port]) may be reached over http:
// loopback addresses, localhost, and the configured insecure registries.
func (c *Client) Insecure(host string) bool {
	if _, ok := c.hostCertsDir(host); ok && !c.hosts[host] {
		return false // the admin gave it certificates: verify them
	}
	if c.hosts[host] {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if c.hosts[h] || h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	for _, n := range c.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// Repository converts a normalized reference to the repository it names.
func (c *Client) Repository(ref reference.Named) (name.Repository, error) {
	host := reference.Domain(ref)
	var opts []name.Option
	if c.Insecure(host) {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(ref.Name(), opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("invalid reference %q: %v: %w", ref, err, errdefs.ErrInvalidArgument)
	}
	return repo, nil
}

// ParseServer parses a login server address ("", "docker.io",
// "https://index.docker.io/v1/", "127.0.0.1:5000", "http://host") into a
// registry; "" means Docker Hub.
func (c *Client) ParseServer(server string) (name.Registry, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	if s == "" || s == "index.docker.io" || s == "registry-1.docker.io" {
		s = name.DefaultRegistry
	}
	var opts []name.Option
	if c.Insecure(s) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(s, opts...)
	if err != nil {
		return name.Registry{}, fmt.Errorf("invalid registry %q: %v: %w", server, err, errdefs.ErrInvalidArgument)
	}
	return reg, nil
}

func (c *Client) roundTripper(reg name.Registry) http.RoundTripper {
	if dir, ok := c.hostCertsDir(reg.RegistryStr()); ok && !c.Insecure(reg.RegistryStr()) {
		rt, err := c.tlsTransport(reg.RegistryStr(), dir)
		if err != nil {
			return errTransport{err}
		}
		return rt
	}
	if c.Insecure(reg.RegistryStr()) {
		return c.insecure
	}
	return c.secure
}
