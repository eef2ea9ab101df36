package image

import (
	"context"
	"net/http"
	"time"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/server/httputil"
	digest "github.com/opencontainers/go-digest"
)

// postImagesPrune deletes unused images (dangling ones unless the filter
// says dangling=false).
func (r router) postImagesPrune(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	filters, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	inUse := func(id digest.Digest) bool { return r.inUse != nil && r.inUse(id) != "" }
	report, err := r.b.Prune(ctx, filters, inUse)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, report)
}

// createdRange is the before/since filter of GET /images/json: images
// created strictly between since's and before's creation times.
type createdRange struct{ after, before time.Time }

func (r router) createdBounds(ctx context.Context, f map[string][]string) (createdRange, error) {
	var b createdRange
	for _, ref := range f["before"] {
		img, err := r.b.Get(ctx, ref)
		if err != nil {
			return b, err
		}
		b.before = img.Created
	}
	for _, ref := range f["since"] {
		img, err := r.b.Get(ctx, ref)
		if err != nil {
			return b, err
		}
		b.after = img.Created
	}
	return b, nil
}

func (b createdRange) contain(img *image.Image) bool {
	if !b.before.IsZero() && !img.Created.Before(b.before) {
		return false
	}
	return b.after.IsZero() || img.Created.After(b.after)
}
