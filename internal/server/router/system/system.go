// Package system serves /_ping, /version and /info.
package system

import (
	"context"
	"net/http"

	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/moby/moby/api/types/system"
)

// Backend answers the system queries.
type Backend interface {
	Version(ctx context.Context) system.VersionResponse
	Info(ctx context.Context) (system.Info, error)
}

type router struct{ b Backend }

// Routes returns the system route group.
func Routes(b Backend) []httputil.Route {
	r := router{b}
	return []httputil.Route{
		{Method: http.MethodGet, Path: "/_ping", Handler: r.getPing},
		{Method: http.MethodHead, Path: "/_ping", Handler: r.getPing},
		{Method: http.MethodGet, Path: "/version", Handler: r.getVersion},
		{Method: http.MethodGet, Path: "/info", Handler: r.getInfo},
	}
}

func (r router) getPing(_ context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Builder-Version", "1")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write([]byte("OK"))
	}
	return nil
}

func (r router) getVersion(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	return httputil.WriteJSON(w, http.StatusOK, r.b.Version(ctx))
}

func (r router) getInfo(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	info, err := r.b.Info(ctx)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, info)
}
