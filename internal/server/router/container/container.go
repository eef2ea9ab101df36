// Package container serves the /containers endpoints.
package container

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/server/httputil"
	ctr "github.com/moby/moby/api/types/container"
)

// Backend is the container service as the API needs it.
type Backend interface {
	Create(ctx context.Context, opts container.CreateOptions) (*container.Container, error)
	Get(ref string) (*container.Container, error)
	List(opts container.ListOptions, ancestorOf func(ref string) (string, bool)) ([]*container.Container, error)
	Inspect(c *container.Container) ctr.InspectResponse
	Summary(c *container.Container) ctr.Summary
	Start(ctx context.Context, ref string) error
	Stop(ctx context.Context, ref, signal string, timeout *int) error
	Restart(ctx context.Context, ref, signal string, timeout *int) error
	Kill(ctx context.Context, ref, signal string) error
	Wait(ctx context.Context, ref string, cond ctr.WaitCondition) (<-chan container.WaitResult, error)
	Remove(ctx context.Context, ref string, opts container.RemoveOptions) error
	Attach(ctx context.Context, ref string, opts container.AttachOptions, client io.ReadWriteCloser) error
	Logs(ctx context.Context, ref string, opts container.LogsOptions) (*container.LogReader, error)
	Resize(ctx context.Context, ref string, width, height uint16) error
	OpsBackend // exec, pause, rename, top, prune, changes, archive (ops.go)
	Update(ctx context.Context, ref string, upd ctr.UpdateConfig) ([]string, error)
	Stats(ctx context.Context, ref string, opts container.StatsOptions, send func(*ctr.StatsResponse) error) error
}

// ImageResolver maps an image reference to its ID (for the ancestor filter).
type ImageResolver func(ctx context.Context, ref string) (string, bool)

type router struct {
	b      Backend
	images ImageResolver
}

// Routes returns the container route group.
func Routes(b Backend, images ImageResolver) []httputil.Route {
	r := router{b: b, images: images}
	return []httputil.Route{
		{Method: http.MethodPost, Path: "/containers/create", Handler: r.postContainersCreate},
		{Method: http.MethodGet, Path: "/containers/json", Handler: r.getContainersJSON},
		{Method: http.MethodGet, Path: "/containers/{name}/json", Handler: r.getContainersByName},
		{Method: http.MethodPost, Path: "/containers/{name}/start", Handler: r.postContainersStart},
		{Method: http.MethodPost, Path: "/containers/{name}/stop", Handler: r.postContainersStop},
		{Method: http.MethodPost, Path: "/containers/{name}/restart", Handler: r.postContainersRestart},
		{Method: http.MethodPost, Path: "/containers/{name}/kill", Handler: r.postContainersKill},
		{Method: http.MethodPost, Path: "/containers/{name}/wait", Handler: r.postContainersWait},
		{Method: http.MethodDelete, Path: "/containers/{name}", Handler: r.deleteContainers},
		{Method: http.MethodPost, Path: "/containers/{name}/attach", Handler: r.postContainersAttach},
		{Method: http.MethodGet, Path: "/containers/{name}/logs", Handler: r.getContainersLogs},
		{Method: http.MethodPost, Path: "/containers/{name}/resize", Handler: r.postContainersResize},
		{Method: http.MethodPost, Path: "/containers/{name}/exec", Handler: r.postContainersExec},
		{Method: http.MethodPost, Path: "/exec/{id}/start", Handler: r.postExecStart},
		{Method: http.MethodPost, Path: "/exec/{id}/resize", Handler: r.postExecResize},
		{Method: http.MethodGet, Path: "/exec/{id}/json", Handler: r.getExecJSON},
		{Method: http.MethodPost, Path: "/containers/{name}/pause", Handler: r.postContainersPause},
		{Method: http.MethodPost, Path: "/containers/{name}/unpause", Handler: r.postContainersUnpause},
		{Method: http.MethodPost, Path: "/containers/{name}/rename", Handler: r.postContainersRename},
		{Method: http.MethodGet, Path: "/containers/{name}/top", Handler: r.getContainersTop},
		{Method: http.MethodPost, Path: "/containers/prune", Handler: r.postContainersPrune},
		{Method: http.MethodGet, Path: "/containers/{name}/changes", Handler: r.getContainersChanges},
		{Method: http.MethodGet, Path: "/containers/{name}/archive", Handler: r.getContainersArchive},
		{Method: http.MethodPut, Path: "/containers/{name}/archive", Handler: r.putContainersArchive},
		{Method: http.MethodPost, Path: "/containers/{name}/update", Handler: r.postContainersUpdate},
		{Method: http.MethodGet, Path: "/containers/{name}/stats", Handler: r.getContainersStats},
	}
}

func (r router) postContainersCreate(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	var body ctr.CreateRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	c, err := r.b.Create(ctx, container.CreateOptions{Name: req.Form.Get("name"), Config: body.Config, HostConfig: body.HostConfig, Networking: body.NetworkingConfig})
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, ctr.CreateResponse{ID: c.ID, Warnings: orEmpty(c.Warnings)})
}

func (r router) getContainersJSON(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	filters, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	limit, err := httputil.IntValue(req, "limit", 0)
	if err != nil {
		return err
	}
	cs, err := r.b.List(container.ListOptions{All: httputil.BoolValue(req, "all"), Limit: limit, Filters: filters},
		func(ref string) (string, bool) { return r.images(ctx, ref) })
	if err != nil {
		return err
	}
	out := make([]ctr.Summary, 0, len(cs))
	for _, c := range cs {
		out = append(out, r.b.Summary(c))
	}
	return httputil.WriteJSON(w, http.StatusOK, out)
}

func (r router) getContainersByName(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	c, err := r.b.Get(vars["name"])
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, inspectForVersion(ctx, r.b.Inspect(c)))
}

func (r router) postContainersStart(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := r.b.Start(ctx, vars["name"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func stopParams(req *http.Request) (string, *int, error) {
	var timeout *int
	if v := req.Form.Get("t"); v != "" {
		n, err := httputil.IntValue(req, "t", 0)
		if err != nil {
			return "", nil, err
		}
		timeout = &n
	}
	return req.Form.Get("signal"), timeout, nil
}

func (r router) postContainersStop(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	sig, timeout, err := stopParams(req)
	if err != nil {
		return err
	}
	if err := r.b.Stop(ctx, vars["name"], sig, timeout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) postContainersRestart(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	sig, timeout, err := stopParams(req)
	if err != nil {
		return err
	}
	if err := r.b.Restart(ctx, vars["name"], sig, timeout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) postContainersKill(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	if err := r.b.Kill(ctx, vars["name"], req.Form.Get("signal")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainersWait answers the headers as soon as the waiter is
// registered (clients start the container only after that), then the
// result when the condition is met.
func (r router) postContainersWait(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	ch, err := r.b.Wait(ctx, vars["name"], ctr.WaitCondition(req.Form.Get("condition")))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	res, ok := <-ch
	if !ok {
		return nil
	}
	resp := ctr.WaitResponse{StatusCode: int64(res.ExitCode)}
	if res.Error != "" {
		resp.Error = &ctr.WaitExitError{Message: res.Error}
	}
	return writeJSONBody(w, resp)
}

func (r router) deleteContainers(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	opts := container.RemoveOptions{Force: httputil.BoolValue(req, "force"), RemoveVolumes: httputil.BoolValue(req, "v")}
	if err := r.b.Remove(ctx, vars["name"], opts); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r router) postContainersResize(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	h, err := httputil.IntValue(req, "h", 0)
	if err != nil {
		return err
	}
	wd, err := httputil.IntValue(req, "w", 0)
	if err != nil {
		return err
	}
	if err := r.b.Resize(ctx, vars["name"], uint16(wd), uint16(h)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func parseTime(v string) (time.Time, error) { return httputil.ParseTimestamp(v) }
