package command

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/moby/moby/client"
)

// poster sends requests whose JSON body the caller encoded itself (see
// MarshalSet), over the API client's HTTP client and at its API version.
type poster struct {
	hc *http.Client
	// addr is the URL host, the daemon's address as the API client has it
	// (a socket's path): requests to the same one share its connections.
	addr       string
	hostHeader string // for sockets, the Host header the API client sends
	api        *client.Client
}

// ErrNotSent is PostJSON's answer when it sent nothing: the CLI has no
// connection of its own (a test's fake client) or could not reach the
// daemon. The caller sends the request through the API client instead,
// which reports an unreachable daemon its usual way.
var ErrNotSent = errors.New("request not sent")

// PostJSON posts body, a JSON document, to the API path (without the
// version prefix) with query.
func (c *CLI) PostJSON(ctx context.Context, path string, query url.Values, body []byte) (*http.Response, error) {
	if _, err := c.Client(ctx); err != nil {
		return nil, err
	}
	p := c.poster
	if p == nil {
		return nil, ErrNotSent
	}
	u := url.URL{Scheme: "http", Path: "/v" + p.api.ClientVersion() + path, RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.URL.Host = p.addr // set here: a socket's path does not parse as a URL's host
	req.Header.Set("Content-Type", "application/json")
	if p.hostHeader != "" {
		req.Host = p.hostHeader
	}
	resp, err := p.hc.Do(req)
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return nil, ErrNotSent
	}
	return resp, err
}
