package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/berth-engine/berth/internal/version"
	"github.com/containerd/errdefs"
)

// API versions served: requests under /v<MinAPIVersion>… /v<APIVersion>
// and unversioned ones (treated as APIVersion).
const (
	APIVersion    = version.APIVersion
	MinAPIVersion = version.MinAPIVersion
)

type route struct {
	method  string
	re      *regexp.Regexp
	names   []string
	handler httputil.HandlerFunc
}

// Server serves the API on a set of listeners.
type Server struct {
	routes []route
	http   *http.Server
	log    *slog.Logger
	ua     string
}

// New builds a server for the given route groups.
func New(log *slog.Logger, version string, groups ...[]httputil.Route) *Server {
	s := &Server{log: log, ua: "Berth/" + version}
	for _, g := range groups {
		for _, r := range g {
			s.routes = append(s.routes, compile(r))
		}
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	return s
}

var varRe = regexp.MustCompile(`\{([a-zA-Z]+)(:\.\*)?\}`)

func compile(r httputil.Route) route {
	var names []string
	expr := "^"
	rest := r.Path
	for {
		loc := varRe.FindStringSubmatchIndex(rest)
		if loc == nil {
			expr += regexp.QuoteMeta(rest)
			break
		}
		expr += regexp.QuoteMeta(rest[:loc[0]])
		names = append(names, rest[loc[2]:loc[3]])
		if loc[4] >= 0 {
			expr += "(.+)"
		} else {
			expr += "([^/]+)"
		}
		rest = rest[loc[1]:]
	}
	return route{method: r.Method, re: regexp.MustCompile(expr + "$"), names: names, handler: r.Handler}
}

var versionPrefix = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)(/.*)$`)

// ServeHTTP strips and checks the API version, finds the route and writes
// any error the handler returns.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", APIVersion)
	w.Header().Set("Docker-Experimental", "false")
	w.Header().Set("Ostype", "linux")
	w.Header().Set("Server", s.ua+" (linux)")
	path, version := r.URL.Path, APIVersion
	if m := versionPrefix.FindStringSubmatch(path); m != nil {
		version, path = m[1], m[2]
		if err := checkVersion(version); err != nil {
			httputil.WriteError(w, err)
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		httputil.WriteError(w, fmt.Errorf("%s: %w", err.Error(), errdefs.ErrInvalidArgument))
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for _, rt := range s.routes {
		if rt.method != method && !(rt.method == http.MethodHead && r.Method == http.MethodHead) {
			continue
		}
		m := rt.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		vars := map[string]string{}
		for i, n := range rt.names {
			vars[n] = m[i+1]
		}
		ctx := httputil.WithVersion(r.Context(), version)
		start := time.Now()
		err := rt.handler(ctx, w, r.WithContext(ctx), vars)
		if err != nil {
			s.log.Debug("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			httputil.WriteError(w, err)
		}
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "took", time.Since(start))
		return
	}
	httputil.WriteError(w, fmt.Errorf("page not found: %w", errdefs.ErrNotFound))
}

func checkVersion(v string) error {
	if httputil.VersionLess(APIVersion, v) {
		return fmt.Errorf("client version %s is too new. Maximum supported API version is %s: %w", v, APIVersion, errdefs.ErrInvalidArgument)
	}
	if httputil.VersionLess(v, MinAPIVersion) {
		return fmt.Errorf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version: %w", v, MinAPIVersion, errdefs.ErrInvalidArgument)
	}
	return nil
}

// Serve serves on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for in-flight ones until ctx
// ends (hijacked attach streams are not waited for).
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }
