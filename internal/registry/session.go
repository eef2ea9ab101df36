package registry

import (
	"context"

	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"
)

// Session is an authenticated connection to one repository.
type Session struct {
	repo   name.Repository
	client *http.Client
	scheme string
	authed bool // credentials were given
	push   bool
}

// Open pings the repository's registry and performs the auth handshake
// for pull (or push and pull) access with the given credentials (zero
// value: anonymous).
func (c *Client) Open(ctx context.Context, repo name.Repository, auth registry.AuthConfig, push bool) (*Session, error) {
	scope := repo.Scope(transport.PullScope)
	if push {
		scope = repo.Scope(transport.PushScope)
	}
	rt, err := c.handshake(ctx, repo.Registry, auth, []string{scope})
	if err != nil {
		return nil, classify(err, target{repo: repo.Name(), authed: hasAuth(auth), push: push})
	}
	return &Session{repo: repo, client: &http.Client{Transport: rt}, scheme: c.scheme(repo.Registry),
		authed: hasAuth(auth), push: push}, nil
}

func (c *Client) handshake(ctx context.Context, reg name.Registry, auth registry.AuthConfig, scopes []string) (http.RoundTripper, error) {
	base := transport.NewUserAgent(rewind{c.roundTripper(reg)}, c.cfg.UserAgent)
	return transport.NewWithContext(ctx, reg, authenticator(auth), base, scopes)
}

// scheme is the scheme the handshake settled on; ggcr's transport rewrites
// it per request, so the URLs built here only need a placeholder that
// matches the registry's default.
func (c *Client) scheme(reg name.Registry) string { return reg.Scheme() }

func hasAuth(a registry.AuthConfig) bool {
	return a.Username != "" || a.Password != "" || a.Auth != "" || a.IdentityToken != "" || a.RegistryToken != ""
}

func authenticator(a registry.AuthConfig) authn.Authenticator {
	if !hasAuth(a) {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{
		Username: a.Username, Password: a.Password, Auth: a.Auth,
		IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken,
	})
}

// Login checks credentials against the registry at server (Docker's
// POST /auth): the handshake plus an authenticated GET /v2/. Returns the
// canonical server address (Docker Hub: https://index.docker.io/v1/).
// Rejected credentials are errdefs.ErrUnauthenticated.
func (c *Client) Login(ctx context.Context, auth registry.AuthConfig) (string, error) {
	reg, err := c.ParseServer(auth.ServerAddress)
	if err != nil {
		return "", err
	}
	rt, err := c.handshake(ctx, reg, auth, nil)
	if err != nil {
		return "", classify(err, target{login: true, authed: true})
	}
	u := url.URL{Scheme: reg.Scheme(), Host: reg.RegistryStr(), Path: "/v2/"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return "", classify(err, target{login: true, authed: true})
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return "", fmt.Errorf("login attempt to %s failed with status: %d %s: %w", u.String(), resp.StatusCode, http.StatusText(resp.StatusCode), errdefs.ErrUnauthenticated)
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return "", classify(err, target{login: true, authed: true})
	}
	if reg.RegistryStr() == name.DefaultRegistry {
		return "https://index.docker.io/v1/", nil
	}
	return reg.RegistryStr(), nil
}

// Repository returns the repository the session is bound to.
func (s *Session) Repository() name.Repository { return s.repo }

func (s *Session) url(kind, ref string) string {
	u := url.URL{Scheme: s.scheme, Host: s.repo.RegistryStr(), Path: fmt.Sprintf("/v2/%s/%s/%s", s.repo.RepositoryStr(), kind, ref)}
	return u.String()
}

// do sends req and checks the status; errors are classified.
func (s *Session) do(req *http.Request, t target, ok ...int) (*http.Response, error) {
	t.repo, t.authed, t.push = s.repo.Name(), s.authed, s.push
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, classify(err, t)
	}
	if err := transport.CheckError(resp, ok...); err != nil {
		resp.Body.Close()
		return nil, classify(err, t)
	}
	return resp, nil
}

// drain discards what is left of a response body so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
