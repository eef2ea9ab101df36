package command

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/docker/go-connections/sockets"
	"github.com/moby/moby/client"

	"github.com/berth-engine/berth/internal/version"
)

// newClient returns an API client for host that speaks Berth's own API
// version from its first request on, without asking the daemon first: the
// moby client would otherwise send a /_ping before the first request of
// every CLI run, a round trip (and about 0.35 ms of the CLI's CPU) on each
// `berth run -d`. A daemon that answers that this version is too new (an
// older Berth, or a Docker engine) gets the request again at the version
// it reports, and so do the requests that follow (versionFallback).
func newClient(host string) (*client.Client, *poster, error) {
	u, err := client.ParseHostURL(host)
	if err != nil {
		return nil, nil, err
	}
	tr := &http.Transport{}
	if err := sockets.ConfigureTransport(tr, u.Scheme, u.Host); err != nil {
		return nil, nil, err
	}
	fb := &versionFallback{base: tr}
	hc := &http.Client{Transport: fb}
	// WithHost first: it sets the address the client dials (and builds
	// URLs with); WithHTTPClient then replaces its transport with ours.
	c, err := client.New(client.WithHost(host), client.WithHTTPClient(hc),
		client.WithAPIVersion(version.APIVersion))
	if err != nil {
		return nil, nil, err
	}
	// The client wrapped our transport in OpenTelemetry's, which records
	// spans and metrics nobody collects here: a CLI run sends one or two
	// requests and exits.
	hc.Transport = fb
	fb.api.Store(c)
	p := &poster{hc: hc, addr: u.Host, api: c}
	if u.Scheme == "unix" || u.Scheme == "npipe" {
		p.hostHeader = client.DummyHost
	}
	return c, p, nil
}

// versionFallback is the transport of newClient's client. On a "client
// version … is too new" answer it negotiates the version with the daemon
// (a /_ping, which also sets the client's version for later requests,
// hijacked ones included), then sends the request again under that
// version's path. The daemon refuses such a request before acting on it.
type versionFallback struct {
	base http.RoundTripper
	api  atomic.Pointer[client.Client]
}

// maxErrorBody bounds how much of a 400 answer is read to recognise it.
const maxErrorBody = 4096

func (t *versionFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	api := t.api.Load()
	if err != nil || resp.StatusCode != http.StatusBadRequest || api == nil {
		return resp, err
	}
	// Read the start of the answer to recognise it; the caller still gets
	// all of it.
	orig := resp.Body
	body, rerr := io.ReadAll(io.LimitReader(orig, maxErrorBody))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), orig), orig}
	if rerr != nil || !bytes.Contains(body, []byte("is too new")) {
		return resp, nil
	}
	from := "/v" + api.ClientVersion() + "/"
	if !strings.Contains(req.URL.Path, from) || (req.Body != nil && req.GetBody == nil) {
		return resp, nil
	}
	if _, err := api.Ping(req.Context(), client.PingOptions{NegotiateAPIVersion: true, ForceNegotiate: true}); err != nil {
		return resp, nil
	}
	to := "/v" + api.ClientVersion() + "/"
	if to == from {
		return resp, nil
	}
	resp.Body.Close()
	retry := req.Clone(req.Context())
	retry.URL.Path = strings.Replace(req.URL.Path, from, to, 1)
	retry.URL.RawPath = ""
	if req.Body != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return t.base.RoundTrip(retry)
}

type readCloser struct {
	io.Reader
	io.Closer
}
