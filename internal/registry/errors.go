package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// target says what a request was about, for Docker-like error texts.
type target struct {
	repo   string // repository name, e.g. 127.0.0.1:5000/app
	ref    string // repo:tag or repo@digest of a manifest request
	authed bool   // the user supplied credentials
	push   bool
	login  bool
}

// classify turns a transport or network error into an errdefs-classified
// error with Docker's wording.
func classify(err error, t target) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err // errdefs.IsCanceled recognises context.Canceled
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return classifyHTTP(terr, t)
	}
	var nerr net.Error
	var uerr *url.Error
	if errors.As(err, &nerr) || errors.As(err, &uerr) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%v: %w", err, errdefs.ErrUnavailable)
	}
	return err
}

func hasCode(e *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range e.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// detail is the registry's own message, "manifest unknown: manifest unknown".
func detail(e *transport.Error) string {
	if len(e.Errors) == 0 {
		return strings.ToLower(stripRequest(e))
	}
	var parts []string
	for _, d := range e.Errors {
		parts = append(parts, strings.ToLower(string(d.Code))+": "+d.Message)
	}
	return strings.ReplaceAll(strings.Join(parts, "; "), "_", " ")
}

// stripRequest drops ggcr's "GET <url>: " prefix.
func stripRequest(e *transport.Error) string {
	msg := e.Error()
	if e.Request != nil {
		msg = strings.TrimPrefix(msg, e.Request.Method+" ")
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return msg
}

func classifyHTTP(e *transport.Error, t target) error {
	unauthorized := e.StatusCode == 401 || hasCode(e, transport.UnauthorizedErrorCode)
	denied := e.StatusCode == 403 || hasCode(e, transport.DeniedErrorCode)
	switch {
	case t.login && (unauthorized || denied):
		return fmt.Errorf("login failed: %s: %w", detail(e), errdefs.ErrUnauthenticated)
	case (unauthorized || denied) && t.authed:
		if t.push && denied {
			return fmt.Errorf("denied: requested access to the resource is denied: %w", errdefs.ErrPermissionDenied)
		}
		return fmt.Errorf("unauthorized: %s: %w", detail(e), errdefs.ErrUnauthenticated)
	case (unauthorized || denied) && t.push:
		return fmt.Errorf("unauthorized: authentication required: %w", errdefs.ErrUnauthenticated)
	case unauthorized || denied || hasCode(e, transport.NameUnknownErrorCode):
		return fmt.Errorf("pull access denied for %s, repository does not exist or may require 'docker login': %s: %w", familiar(t.repo), detail(e), errdefs.ErrNotFound)
	case hasCode(e, transport.ManifestUnknownErrorCode) || (e.StatusCode == 404 && t.ref != ""):
		return fmt.Errorf("manifest for %s not found: %s: %w", familiar(t.ref), detail(e), errdefs.ErrNotFound)
	case hasCode(e, transport.BlobUnknownErrorCode) || e.StatusCode == 404:
		return fmt.Errorf("%s: %w", detail(e), errdefs.ErrNotFound)
	case e.StatusCode == 429 || e.StatusCode >= 500:
		return fmt.Errorf("registry %s: %s: %w", registryOf(t.repo), detail(e), errdefs.ErrUnavailable)
	case e.StatusCode == 400:
		return fmt.Errorf("%s: %w", detail(e), errdefs.ErrInvalidArgument)
	}
	return fmt.Errorf("%s: %w", detail(e), errdefs.ErrUnknown)
}

// familiar shortens docker.io names as Docker prints them.
func familiar(s string) string {
	s = strings.TrimPrefix(s, "index.docker.io/")
	s = strings.TrimPrefix(s, "docker.io/")
	return strings.TrimPrefix(s, "library/")
}

func registryOf(repo string) string {
	host, _, _ := strings.Cut(repo, "/")
	return host
}
