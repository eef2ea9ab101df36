package container

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"github.com/berth-engine/berth/internal/escape"
	"net/http"
	"time"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/server/httputil"
)

func writeJSONBody(w http.ResponseWriter, v any) error {
	return json.NewEncoder(w).Encode(v)
}

const (
	rawStream         = "application/vnd.docker.raw-stream"
	multiplexedStream = "application/vnd.docker.multiplexed-stream"
)

func (r router) postContainersAttach(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	c, err := r.b.Get(vars["name"])
	if err != nil {
		return err
	}
	opts := container.AttachOptions{
		Stdin:       httputil.BoolValue(req, "stdin"),
		Stdout:      httputil.BoolValue(req, "stdout"),
		Stderr:      httputil.BoolValue(req, "stderr"),
		Multiplexed: !c.Config.Tty,
	}
	if c.Config.Tty && opts.Stdin {
		keys, err := escape.Parse(req.Form.Get("detachKeys"))
		if err != nil {
			return err
		}
		opts.DetachKeys = keys
	}
	ctype := rawStream
	if opts.Multiplexed && !httputil.VersionLess(httputil.VersionFromContext(ctx), "1.42") {
		ctype = multiplexedStream
	}
	conn, err := httputil.Hijack(w, req, ctype)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The hijacked connection outlives the request context.
	if err := r.b.Attach(context.WithoutCancel(ctx), c.ID, opts, conn); err != nil {
		_, _ = conn.Write([]byte(httputil.Message(err) + "\r\n"))
	}
	return nil
}

func (r router) getContainersLogs(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	opts := container.LogsOptions{
		Stdout: httputil.BoolValue(req, "stdout"), Stderr: httputil.BoolValue(req, "stderr"),
		Follow: httputil.BoolValue(req, "follow"), Tail: -1,
	}
	if !opts.Stdout && !opts.Stderr {
		return badRequest("Bad parameters: you must choose at least one stream")
	}
	if t := req.Form.Get("tail"); t != "" && t != "all" {
		n, err := httputil.IntValue(req, "tail", -1)
		if err != nil {
			return err
		}
		opts.Tail = n
	}
	var err error
	if opts.Since, err = parseTime(req.Form.Get("since")); err != nil {
		return err
	}
	if opts.Until, err = parseTime(req.Form.Get("until")); err != nil {
		return err
	}
	lr, err := r.b.Logs(ctx, vars["name"], opts)
	if err != nil {
		return err
	}
	timestamps := httputil.BoolValue(req, "timestamps")
	ctype := rawStream
	if !lr.Tty && !httputil.VersionLess(httputil.VersionFromContext(ctx), "1.42") {
		ctype = multiplexedStream
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	return lr.Run(ctx, func(stream string, line []byte, t time.Time) error {
		if timestamps {
			line = append([]byte(t.UTC().Format(time.RFC3339Nano)+" "), line...)
		}
		if !lr.Tty {
			var hdr [8]byte
			hdr[0] = 1
			if stream == "stderr" {
				hdr[0] = 2
			}
			binary.BigEndian.PutUint32(hdr[4:], uint32(len(line)))
			if _, err := w.Write(hdr[:]); err != nil {
				return err
			}
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		if flusher != nil && opts.Follow {
			flusher.Flush()
		}
		return nil
	})
}
