package container

import (
	"context"
	"net/http"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/server/httputil"
	ctr "github.com/moby/moby/api/types/container"
)

// postContainersUpdate changes resources and the restart policy.
func (r router) postContainersUpdate(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	var upd ctr.UpdateConfig
	if err := httputil.ReadJSON(req, &upd); err != nil {
		return err
	}
	warnings, err := r.b.Update(ctx, vars["name"], upd)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, ctr.UpdateResponse{Warnings: orEmpty(warnings)})
}

// getContainersStats streams samples (stream=true, the default) or sends
// one (stream=false; one-shot=true leaves out the previous sample).
func (r router) getContainersStats(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	opts := container.StatsOptions{
		Stream:  httputil.BoolValueOr(req, "stream", true),
		OneShot: httputil.BoolValue(req, "one-shot"),
	}
	started := false
	return r.b.Stats(ctx, vars["name"], opts, func(s *ctr.StatsResponse) error {
		if !started {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		if err := writeJSONBody(w, s); err != nil {
			return err
		}
		if f, ok := w.(http.Flusher); ok && opts.Stream {
			f.Flush()
		}
		return nil
	})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
