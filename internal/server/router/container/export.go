package container

import (
	"context"
	"io"
	"net/http"

	"github.com/berth-engine/berth/internal/server/httputil"
)

// Exporter writes a container's filesystem as a tar stream.
type Exporter interface {
	Export(ctx context.Context, ref string, w io.Writer) error
}

// ExportRoutes returns GET /containers/{name}/export.
func ExportRoutes(b Exporter) []httputil.Route {
	return []httputil.Route{{Method: http.MethodGet, Path: "/containers/{name}/export", Handler: exportRouter{b}.getContainersExport}}
}

type exportRouter struct{ b Exporter }

// getContainersExport streams the tar; errors before the first byte (no
// such container) get their status code, later ones cut the stream.
func (r exportRouter) getContainersExport(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	lw := &lazyTarWriter{w: w}
	err := r.b.Export(ctx, vars["name"], lw)
	if err != nil && !lw.started {
		return err
	}
	return nil
}

// lazyTarWriter sends the response headers with the first byte.
type lazyTarWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyTarWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/x-tar")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
