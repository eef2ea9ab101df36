package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// stream writes a JSON progress stream; once the first message is out the
// status is 200 and errors travel in the stream (Docker's errorDetail).
type stream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

func newStream(w http.ResponseWriter) *stream { return &stream{w: w, enc: json.NewEncoder(w)} }

func (s *stream) start() {
	if !s.started {
		s.w.Header().Set("Content-Type", "application/json")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
}

func (s *stream) send(m jsonstream.Message) {
	s.start()
	_ = s.enc.Encode(m)
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

// finish reports err: as the HTTP error when nothing was streamed yet
// (returned to the server's mapper), else as an error message.
func (s *stream) finish(err error) error {
	if err == nil || !s.started {
		return err
	}
	msg := httputil.Message(err)
	_ = s.enc.Encode(struct {
		jsonstream.Message
		ErrorMessage string `json:"error,omitempty"`
	}{jsonstream.Message{Error: &jsonstream.Error{Message: msg}}, msg})
	return nil
}

// authFromHeader decodes X-Registry-Auth (base64url JSON AuthConfig).
func authFromHeader(req *http.Request) (registry.AuthConfig, error) {
	var a registry.AuthConfig
	h := req.Header.Get(registry.AuthHeader)
	if h == "" {
		return a, nil
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if raw, err = enc.DecodeString(h); err == nil {
			break
		}
	}
	if err != nil || (len(raw) > 0 && json.Unmarshal(raw, &a) != nil) {
		return a, fmt.Errorf("invalid X-Registry-Auth header: %w", errdefs.ErrInvalidArgument)
	}
	return a, nil
}

// pullRef joins fromImage and tag (a tag or a digest) as Docker does.
func pullRef(img, tag string) string {
	switch {
	case tag == "" || strings.ContainsAny(img, "@"):
		return img
	case strings.Contains(tag, ":"):
		return img + "@" + tag
	}
	return img + ":" + tag
}

func (r router) pull(ctx context.Context, w http.ResponseWriter, req *http.Request, img string) error {
	auth, err := authFromHeader(req)
	if err != nil {
		return err
	}
	st := newStream(w)
	_, err = r.b.Pull(ctx, image.PullOptions{
		Ref: pullRef(img, req.Form.Get("tag")), Platform: req.Form.Get("platform"), Auth: auth, Progress: st.send,
	})
	return st.finish(err)
}

func (r router) postImagesPush(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	auth, err := authFromHeader(req)
	if err != nil {
		return err
	}
	st := newStream(w)
	err = r.b.Push(ctx, image.PushOptions{Name: vars["name"], Tag: req.Form.Get("tag"), Auth: auth, Progress: st.send})
	return st.finish(err)
}

func (r router) postAuth(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	var a registry.AuthConfig
	if err := httputil.ReadJSON(req, &a); err != nil {
		return err
	}
	if _, err := r.b.Login(ctx, a); err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, registry.AuthResponse{Status: "Login Succeeded"})
}

func (r router) getImagesHistory(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	items, err := r.b.History(ctx, vars["name"])
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, items)
}

// getImagesGet streams a docker-archive of the named images.
func (r router) getImagesGet(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	names := req.Form["names"]
	if len(names) == 0 {
		return fmt.Errorf("no image names given: %w", errdefs.ErrInvalidArgument)
	}
	w.Header().Set("Content-Type", "application/x-tar")
	return r.b.Save(ctx, names, &lazyWriter{w: w})
}

// lazyWriter sends the 200 status with the first byte, so an error found
// before any output still becomes a proper HTTP error.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.w.WriteHeader(http.StatusOK)
		l.started = true
	}
	return l.w.Write(p)
}

func (r router) postImagesLoad(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	st := newStream(w)
	quiet := httputil.BoolValue(req, "quiet")
	progress := func(m jsonstream.Message) {
		if !quiet || m.Progress == nil {
			st.send(m)
		}
	}
	err := r.b.Load(ctx, req.Body, progress)
	return st.finish(err)
}
