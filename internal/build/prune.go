package build

import (
	"context"
	"errors"

	"github.com/containerd/errdefs"
	apibuild "github.com/moby/moby/api/types/build"
)

// Prune empties the build cache (POST /build/prune) and the context
// cache: every entry is forgotten and the cached images nothing else
// needs (untagged, no container) are deleted with the data only they use.
func (b *Builder) Prune(ctx context.Context) (apibuild.CachePruneReport, error) {
	report := apibuild.CachePruneReport{CachesDeleted: []string{}}
	b.ctxs.empty() // the context cache
	if b.cache == nil {
		return report, nil
	}
	entries, err := b.cache.Entries()
	if err != nil {
		return report, err
	}
	keys := make([]string, 0, len(entries))
	for key, e := range entries {
		keys = append(keys, key)
		deleted, size, err := b.be.DeleteImage(ctx, e.ID.String())
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return report, err
		}
		if deleted {
			report.CachesDeleted = append(report.CachesDeleted, e.ID.String())
			report.SpaceReclaimed += uint64(max(size, 0))
		}
	}
	return report, b.cache.Forget(keys)
}
