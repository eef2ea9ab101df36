// Package volume serves the /volumes endpoints.
package volume

import (
	"context"
	"net/http"

	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/berth-engine/berth/internal/volume"
	apivolume "github.com/moby/moby/api/types/volume"
)

// Backend is the volume store as the API needs it.
type Backend interface {
	Create(ctx context.Context, opts volume.CreateOptions) (*volume.Volume, error)
	Get(ctx context.Context, name string) (*volume.Volume, error)
	List(ctx context.Context, filters map[string][]string) ([]*volume.Volume, error)
	Remove(ctx context.Context, name string, force bool) error
	Prune(ctx context.Context, filters map[string][]string) (apivolume.PruneReport, error)
	Info(v *volume.Volume, withUsage bool) apivolume.Volume
}

type router struct{ b Backend }

// Routes returns the volume route group.
func Routes(b Backend) []httputil.Route {
	r := router{b}
	return []httputil.Route{
		{Method: http.MethodGet, Path: "/volumes", Handler: r.getVolumes},
		{Method: http.MethodPost, Path: "/volumes/create", Handler: r.postVolumesCreate},
		{Method: http.MethodPost, Path: "/volumes/prune", Handler: r.postVolumesPrune},
		{Method: http.MethodGet, Path: "/volumes/{name}", Handler: r.getVolumeByName},
		{Method: http.MethodDelete, Path: "/volumes/{name}", Handler: r.deleteVolumes},
	}
}

func (r router) getVolumes(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	f, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	vols, err := r.b.List(ctx, f)
	if err != nil {
		return err
	}
	resp := apivolume.ListResponse{Volumes: []apivolume.Volume{}, Warnings: []string{}}
	for _, v := range vols {
		resp.Volumes = append(resp.Volumes, r.b.Info(v, false))
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}

func (r router) postVolumesCreate(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	var body apivolume.CreateRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	v, err := r.b.Create(ctx, volume.CreateOptions{Name: body.Name, Driver: body.Driver, DriverOpts: body.DriverOpts, Labels: body.Labels})
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, r.b.Info(v, false))
}

func (r router) getVolumeByName(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	v, err := r.b.Get(ctx, vars["name"])
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, r.b.Info(v, false))
}

func (r router) deleteVolumes(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	if err := r.b.Remove(ctx, vars["name"], httputil.BoolValue(req, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postVolumesPrune removes unused volumes; before API 1.42 named ones too.
func (r router) postVolumesPrune(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	f, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	if _, ok := f["all"]; !ok && httputil.VersionLess(httputil.VersionFromContext(ctx), "1.42") {
		f["all"] = []string{"true"}
	}
	rep, err := r.b.Prune(ctx, f)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, rep)
}
