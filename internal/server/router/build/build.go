// Package build serves POST /build (Docker's classic builder API).
package build

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/berth-engine/berth/internal/build"
	"github.com/berth-engine/berth/internal/buildcontext"
	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/containerd/errdefs"
	apibuild "github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// Builder runs builds and manages their cache.
type Builder interface {
	Build(ctx context.Context, buildContext io.Reader, opts build.Options, out build.Output) (*image.Image, error)
	Prune(ctx context.Context) (apibuild.CachePruneReport, error)
}

// Routes returns the build route group.
func Routes(b Builder) []httputil.Route {
	r := router{b: b}
	return []httputil.Route{
		{Method: http.MethodPost, Path: "/build", Handler: r.postBuild},
		{Method: http.MethodPost, Path: "/build/prune", Handler: r.postBuildPrune},
	}
}

// postBuildPrune empties the build cache.
func (r router) postBuildPrune(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	report, err := r.b.Prune(ctx)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, report)
}

type router struct{ b Builder }

// postBuild builds the tar context in the request body and streams the
// classic builder's progress messages.
func (r router) postBuild(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	opts, err := buildOptions(req)
	if err != nil {
		return err
	}
	s := &stream{w: w, enc: json.NewEncoder(w)}
	_, err = r.b.Build(ctx, req.Body, opts, s)
	return s.finish(err)
}

func buildOptions(req *http.Request) (build.Options, error) {
	f := req.Form
	if f.Get("remote") == "client-session" {
		return build.Options{}, fmt.Errorf("BuildKit sessions (remote=client-session) are not supported: use the classic builder: %w", errdefs.ErrNotImplemented)
	}
	opts := build.Options{
		Remote: f.Get("remote"), Platform: f.Get("platform"),
		Dockerfile: f.Get("dockerfile"), Tags: f["t"], Target: f.Get("target"),
		NoCache: httputil.BoolValue(req, "nocache"), Remove: httputil.BoolValueOr(req, "rm", true),
		ForceRemove: httputil.BoolValue(req, "forcerm"), Quiet: httputil.BoolValue(req, "q"),
		NetworkMode: f.Get("networkmode"), Pull: httputil.BoolValue(req, "pull"),
	}
	auth, err := authConfigs(req)
	if err != nil {
		return opts, err
	}
	opts.Auth = auth
	if opts.Secrets, err = secrets(req); err != nil {
		return opts, err
	}
	if err := resources(req, &opts); err != nil {
		return opts, err
	}
	for _, p := range []struct {
		key string
		v   any
	}{{"buildargs", &opts.BuildArgs}, {"labels", &opts.Labels}, {"ulimits", &opts.Resources.Ulimits}, {"cachefrom", &opts.CacheFrom}} {
		if raw := f.Get(p.key); raw != "" {
			if err := json.Unmarshal([]byte(raw), p.v); err != nil {
				return opts, fmt.Errorf("invalid %s: %v: %w", p.key, err, errdefs.ErrInvalidArgument)
			}
		}
	}
	return opts, nil
}

// stream writes the JSON message stream; it is safe for concurrent use
// (a RUN step's stdout and stderr arrive together).
type stream struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

func (s *stream) send(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.w.Header().Set("Content-Type", "application/json")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	_ = s.enc.Encode(v)
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *stream) Stream(text string) { s.send(jsonstream.Message{Stream: text}) }

func (s *stream) Progress(m jsonstream.Message) { s.send(m) }

func (s *stream) Aux(id string) {
	raw, _ := json.Marshal(struct{ ID string }{id})
	aux := json.RawMessage(raw)
	s.send(jsonstream.Message{Aux: &aux})
}

// finish reports err: as the HTTP error when nothing was streamed yet,
// else as Docker's errorDetail message (with a failed RUN's exit code).
func (s *stream) finish(err error) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return err
	}
	msg := httputil.Message(err)
	detail := &jsonstream.Error{Message: msg}
	var exit *build.ExitError
	if errors.As(err, &exit) {
		detail.Code = exit.Code
	}
	s.send(struct {
		jsonstream.Message
		ErrorMessage string `json:"error,omitempty"`
	}{jsonstream.Message{Error: detail}, msg})
	return nil
}

// authConfigs decodes X-Registry-Config: base64url JSON of the CLI's
// credentials by registry.
func authConfigs(req *http.Request) (map[string]registry.AuthConfig, error) {
	h := req.Header.Get("X-Registry-Config")
	if h == "" {
		return nil, nil
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if raw, err = enc.DecodeString(h); err == nil {
			break
		}
	}
	out := map[string]registry.AuthConfig{}
	if err != nil || json.Unmarshal(raw, &out) != nil {
		return nil, fmt.Errorf("invalid X-Registry-Config header: %w", errdefs.ErrInvalidArgument)
	}
	return out, nil
}

// SecretsHeader carries `berth build --secret` values (see buildcontext).
const SecretsHeader = buildcontext.SecretsHeader

func secrets(req *http.Request) (map[string][]byte, error) {
	h := req.Header.Get(SecretsHeader)
	if h == "" {
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(h)
	out := map[string][]byte{}
	if err != nil || json.Unmarshal(raw, &out) != nil {
		return nil, fmt.Errorf("invalid %s header: %w", SecretsHeader, errdefs.ErrInvalidArgument)
	}
	return out, nil
}

// resources reads the RUN containers' limits: memory, memswap, cpushares,
// cpuquota, cpuperiod, shmsize (integers), cpusetcpus, cpusetmems,
// cgroupparent, extrahosts.
func resources(req *http.Request, opts *build.Options) error {
	f := req.Form
	r := &opts.Resources
	for _, p := range []struct {
		key string
		v   *int64
	}{{"memory", &r.Memory}, {"memswap", &r.MemorySwap}, {"cpushares", &r.CPUShares}, {"cpuquota", &r.CPUQuota},
		{"cpuperiod", &r.CPUPeriod}, {"shmsize", &opts.ShmSize}} {
		if s := f.Get(p.key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("invalid %s: %q: %w", p.key, s, errdefs.ErrInvalidArgument)
			}
			*p.v = n
		}
	}
	r.CpusetCpus, r.CpusetMems, r.CgroupParent = f.Get("cpusetcpus"), f.Get("cpusetmems"), f.Get("cgroupparent")
	opts.ExtraHosts = f["extrahosts"]
	return nil
}
