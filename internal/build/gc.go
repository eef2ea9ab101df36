package build

import (
	"context"
	"sort"
)

// enforceCap deletes the least recently used cached step images until
// what they add over their parents fits the cap. Tagged images and images
// containers use are never deleted (and do not count). The sizes are what
// each step added, so the accounting is approximate when a step's layer
// is also another image's.
func (b *Builder) enforceCap(ctx context.Context) {
	if b.max <= 0 || b.cache == nil {
		return
	}
	b.gc.Lock()
	defer b.gc.Unlock()
	entries, err := b.cache.Entries()
	if err != nil {
		return
	}
	type sized struct {
		key  string
		e    Entry
		size int64
	}
	var list []sized
	var total int64
	var gone []string
	for key, e := range entries {
		size, ok := b.stepSize(ctx, e)
		if !ok {
			gone = append(gone, key)
			continue
		}
		list = append(list, sized{key, e, size})
		total += size
	}
	sort.Slice(list, func(i, j int) bool { return list[i].e.Used.Before(list[j].e.Used) })
	for _, s := range list {
		if total <= b.max {
			break
		}
		if deleted, _, err := b.be.DeleteImage(ctx, s.e.ID.String()); err == nil && deleted {
			total -= s.size
			gone = append(gone, s.key)
		}
	}
	_ = b.cache.Forget(gone)
}

// stepSize is what a cached image adds over its parent (0 when tagged);
// false when the image is gone.
func (b *Builder) stepSize(ctx context.Context, e Entry) (int64, bool) {
	img, err := b.be.Image(ctx, e.ID.String())
	if err != nil {
		return 0, false
	}
	if len(img.RepoTags) > 0 {
		return 0, true
	}
	size := img.Size
	if img.Parent != "" {
		if p, err := b.be.Image(ctx, img.Parent.String()); err == nil {
			size -= p.Size
		}
	}
	return max(size, 0), true
}
