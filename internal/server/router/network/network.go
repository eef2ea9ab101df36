// Package network serves the /networks endpoints.
package network

import (
	"context"
	"net/http"

	"github.com/berth-engine/berth/internal/server/httputil"
	netapi "github.com/moby/moby/api/types/network"
)

// Backend is the network service as the API needs it.
type Backend interface {
	Networks(ctx context.Context, filters map[string][]string) ([]netapi.Inspect, error)
	Network(ctx context.Context, ref string) (netapi.Inspect, error)
	CreateNetwork(ctx context.Context, req netapi.CreateRequest) (netapi.CreateResponse, error)
	RemoveNetwork(ctx context.Context, ref string) error
	PruneNetworks(ctx context.Context, filters map[string][]string) (netapi.PruneReport, error)
	Connect(ctx context.Context, ref string, req netapi.ConnectRequest) error
	Disconnect(ctx context.Context, ref string, req netapi.DisconnectRequest) error
}

type router struct{ b Backend }

// Routes returns the network route group.
func Routes(b Backend) []httputil.Route {
	r := router{b}
	return []httputil.Route{
		{Method: http.MethodGet, Path: "/networks", Handler: r.getNetworks},
		{Method: http.MethodPost, Path: "/networks/create", Handler: r.postNetworksCreate},
		{Method: http.MethodPost, Path: "/networks/prune", Handler: r.postNetworksPrune},
		{Method: http.MethodGet, Path: "/networks/{id}", Handler: r.getNetwork},
		{Method: http.MethodDelete, Path: "/networks/{id}", Handler: r.deleteNetwork},
		{Method: http.MethodPost, Path: "/networks/{id}/connect", Handler: r.postNetworkConnect},
		{Method: http.MethodPost, Path: "/networks/{id}/disconnect", Handler: r.postNetworkDisconnect},
	}
}

func (r router) getNetworks(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	f, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	nets, err := r.b.Networks(ctx, f)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, nets)
}

func (r router) getNetwork(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	n, err := r.b.Network(ctx, vars["id"])
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, n)
}

func (r router) postNetworksCreate(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	var body netapi.CreateRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	resp, err := r.b.CreateNetwork(ctx, body)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, resp)
}

func (r router) deleteNetwork(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := r.b.RemoveNetwork(ctx, vars["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) postNetworksPrune(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	f, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	rep, err := r.b.PruneNetworks(ctx, f)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, rep)
}

func (r router) postNetworkConnect(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	var body netapi.ConnectRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	if err := r.b.Connect(ctx, vars["id"], body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (r router) postNetworkDisconnect(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	var body netapi.DisconnectRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	if err := r.b.Disconnect(ctx, vars["id"], body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
