package system

import (
	"context"
	"net/http"
	"slices"

	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/volume"
)

// DiskUsage is GET /system/df's response in the shape of API < 1.52.
type DiskUsage struct {
	LayersSize int64
	Images     []image.Summary
	Containers []container.Summary
	Volumes    []volume.Volume
	BuildCache []build.CacheRecord
}

// DiskUsageBackend computes the disk usage of images and containers.
type DiskUsageBackend interface {
	ImagesDiskUsage(ctx context.Context) ([]image.Summary, int64, error)
	ContainersDiskUsage(ctx context.Context) ([]container.Summary, error)
}

// VolumesDiskUsageBackend is the optional volumes part of /system/df.
type VolumesDiskUsageBackend interface {
	VolumesDiskUsage(ctx context.Context) ([]volume.Volume, error)
}

// DiskUsageRoutes returns GET /system/df.
func DiskUsageRoutes(b DiskUsageBackend) []httputil.Route {
	return []httputil.Route{{Method: http.MethodGet, Path: "/system/df", Handler: dfRouter{b}.getSystemDF}}
}

type dfRouter struct{ b DiskUsageBackend }

// getSystemDF answers for the object types asked for (type=image|container|
// volume|build-cache, all when absent); the others are empty lists.
func (r dfRouter) getSystemDF(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	types := req.Form["type"]
	want := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	du := DiskUsage{Images: []image.Summary{}, Containers: []container.Summary{}, Volumes: []volume.Volume{}, BuildCache: []build.CacheRecord{}}
	var err error
	if want("image") {
		if du.Images, du.LayersSize, err = r.b.ImagesDiskUsage(ctx); err != nil {
			return err
		}
	}
	if want("container") {
		if du.Containers, err = r.b.ContainersDiskUsage(ctx); err != nil {
			return err
		}
	}
	if vb, ok := r.b.(VolumesDiskUsageBackend); ok && want("volume") {
		if du.Volumes, err = vb.VolumesDiskUsage(ctx); err != nil {
			return err
		}
	}
	return httputil.WriteJSON(w, http.StatusOK, du)
}
