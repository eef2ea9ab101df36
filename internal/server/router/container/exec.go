package container

import (
	"context"
	"encoding/binary"
	"net/http"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/moby/moby/api/types/common"
	ctr "github.com/moby/moby/api/types/container"
)

func (r router) postContainersExec(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	var body ctr.ExecCreateRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	id, err := r.b.ExecCreate(ctx, vars["name"], body)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, common.IDResponse{ID: id})
}

// postExecStart runs the exec detached (200, no body) or hijacks the
// connection and relays its streams; an error once the connection is
// hijacked is written into the stream as output, as Docker does, and the
// client reads the exit code (126/127) from GET /exec/{id}/json.
func (r router) postExecStart(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	var body ctr.ExecStartRequest
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	info, err := r.b.ExecInspect(vars["id"])
	if err != nil {
		return err
	}
	opts := container.ExecStartOptions{Detach: body.Detach, ConsoleSize: body.ConsoleSize}
	if body.Detach {
		if err := r.b.ExecStart(ctx, info.ID, opts, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	tty := info.ProcessConfig.Tty
	ctype := rawStream
	if !tty && !httputil.VersionLess(httputil.VersionFromContext(ctx), "1.42") {
		ctype = multiplexedStream
	}
	conn, err := httputil.Hijack(w, req, ctype)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The hijacked connection outlives the request context.
	if err := r.b.ExecStart(context.WithoutCancel(ctx), info.ID, opts, conn); err != nil {
		msg := []byte(httputil.Message(err) + "\r\n")
		if !tty {
			var hdr [8]byte
			hdr[0] = 1
			binary.BigEndian.PutUint32(hdr[4:], uint32(len(msg)))
			msg = append(hdr[:], msg...)
		}
		_, _ = conn.Write(msg)
	}
	return nil
}

func (r router) postExecResize(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	h, err := httputil.IntValue(req, "h", 0)
	if err != nil {
		return err
	}
	wd, err := httputil.IntValue(req, "w", 0)
	if err != nil {
		return err
	}
	if err := r.b.ExecResize(ctx, vars["id"], uint16(wd), uint16(h)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (r router) getExecJSON(_ context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	info, err := r.b.ExecInspect(vars["id"])
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, info)
}
