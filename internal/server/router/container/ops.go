package container

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/server/httputil"
	ctr "github.com/moby/moby/api/types/container"
)

// OpsBackend is what the exec and container-operation endpoints need.
type OpsBackend interface {
	ExecCreate(ctx context.Context, ref string, cfg ctr.ExecCreateRequest) (string, error)
	ExecStart(ctx context.Context, id string, opts container.ExecStartOptions, client io.ReadWriteCloser) error
	ExecInspect(id string) (ctr.ExecInspectResponse, error)
	ExecResize(ctx context.Context, id string, width, height uint16) error
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	Rename(ctx context.Context, ref, newName string) error
	Top(ctx context.Context, ref, psArgs string) (ctr.TopResponse, error)
	Prune(ctx context.Context, filters map[string][]string) (ctr.PruneReport, error)
	Changes(ctx context.Context, ref string) ([]ctr.FilesystemChange, error)
	ArchiveStat(ctx context.Context, ref, path string) (ctr.PathStat, error)
	ArchiveGet(ctx context.Context, ref, path string, start func(ctr.PathStat) io.Writer) error
	ArchivePut(ctx context.Context, ref, path string, r io.Reader) error
}

func (r router) postContainersPause(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := r.b.Pause(ctx, vars["name"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) postContainersUnpause(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := r.b.Unpause(ctx, vars["name"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) postContainersRename(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	if err := r.b.Rename(ctx, vars["name"], req.Form.Get("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) getContainersTop(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	top, err := r.b.Top(ctx, vars["name"], req.Form.Get("ps_args"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, top)
}

func (r router) postContainersPrune(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	filters, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	report, err := r.b.Prune(ctx, filters)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, report)
}

func (r router) getContainersChanges(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	changes, err := r.b.Changes(ctx, vars["name"])
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, changes)
}

const pathStatHeader = "X-Docker-Container-Path-Stat"

func setPathStat(w http.ResponseWriter, st ctr.PathStat) {
	data, _ := json.Marshal(st)
	w.Header().Set(pathStatHeader, base64.StdEncoding.EncodeToString(data))
}

// getContainersArchive answers HEAD with the path's stat header and GET
// with the stat header and a tar stream of the path.
func (r router) getContainersArchive(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	p := req.Form.Get("path")
	if p == "" {
		return badRequest("path is required")
	}
	if req.Method == http.MethodHead {
		st, err := r.b.ArchiveStat(ctx, vars["name"], p)
		if err != nil {
			return err
		}
		setPathStat(w, st)
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return r.b.ArchiveGet(ctx, vars["name"], p, func(st ctr.PathStat) io.Writer {
		setPathStat(w, st)
		w.Header().Set("Content-Type", "application/x-tar")
		w.WriteHeader(http.StatusOK)
		return w
	})
}

func (r router) putContainersArchive(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	p := req.Form.Get("path")
	if p == "" {
		return badRequest("path is required")
	}
	if err := r.b.ArchivePut(ctx, vars["name"], p, req.Body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
