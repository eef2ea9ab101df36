package build

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
)

// LayerReader is implemented by a Backend that can read an image's layer
// back as an uncompressed tar, by diff ID. --cache-from needs it to
// restore the steps of a cache source that a later step builds on.
type LayerReader interface {
	LayerTar(ctx context.Context, diffID digest.Digest) (io.ReadCloser, error)
}

// cacheFrom is a job's --cache-from state, with the classic builder's
// semantics: an image named there (found locally, or pulled when the
// request says pull) is a cache source although it was not built here. A
// step hits when the source's layers and history start with the current
// image's and its next history entry was made by the same instruction.
//
// A stage that hits follows its source without making images: its steps
// advance along the source's history. When the stage reaches the
// source's last entry it simply is the source image (same ID, as with
// Docker). When a step misses, or the stage ends earlier, the steps
// followed so far are restored as images (their layers read back from the
// source), so that what comes next has a real parent.
type cacheFrom struct {
	once    sync.Once
	sources []*image.Image

	mu     sync.Mutex
	follow map[*state]*following
}

// following is a stage following source: its steps so far are the
// source's history entries up to n; base is its last real image and
// pending the steps taken since.
type following struct {
	source  *image.Image
	n       int
	base    digest.Digest
	pending []followedStep
}

type followedStep struct {
	createdBy, author, sum string
	cfg                    dockerspec.DockerOCIImageConfig
	hist                   int // index in the source's history
}

// resolveSources looks the --cache-from images up once per build.
func (j *job) resolveSources(ctx context.Context, st *state) []*image.Image {
	j.cacheFrom.once.Do(func() {
		for _, ref := range j.opts.CacheFrom {
			img, err := j.b.be.Image(ctx, ref)
			if errdefs.IsNotFound(err) && j.opts.Pull {
				img, err = j.pull(ctx, st, ref)
			}
			if err != nil {
				st.out.Stream(fmt.Sprintf("[Warning] cache source %s skipped: %v\n", ref, err))
				continue
			}
			j.cacheFrom.sources = append(j.cacheFrom.sources, img)
		}
	})
	return j.cacheFrom.sources
}

func (j *job) following(st *state) *following {
	j.cacheFrom.mu.Lock()
	defer j.cacheFrom.mu.Unlock()
	return j.cacheFrom.follow[st]
}

func (j *job) setFollowing(st *state, f *following) {
	j.cacheFrom.mu.Lock()
	defer j.cacheFrom.mu.Unlock()
	if j.cacheFrom.follow == nil {
		j.cacheFrom.follow = map[*state]*following{}
	}
	if f == nil {
		delete(j.cacheFrom.follow, st)
		return
	}
	j.cacheFrom.follow[st] = f
}

// followCacheFrom advances a stage that follows a cache source when the
// step is the source's next; it reports whether it did. A step that
// diverges first restores the followed steps (see cacheFrom).
func (j *job) followCacheFrom(ctx context.Context, st *state, cfg dockerspec.DockerOCIImageConfig, createdBy, sum string) bool {
	f := j.following(st)
	if f == nil {
		return false
	}
	if j.matches(ctx, f.source, f.n+1, cfg, createdBy) {
		j.advance(st, f, cfg, createdBy, sum, f.n+1)
		return true
	}
	j.restore(ctx, st)
	return false
}

// startCacheFrom looks for a cache source whose next step after the
// current image is this one; on a hit the stage follows it.
func (j *job) startCacheFrom(ctx context.Context, st *state, cfg dockerspec.DockerOCIImageConfig, createdBy, sum string) bool {
	if len(j.opts.CacheFrom) == 0 || j.opts.NoCache {
		return false
	}
	sources := j.resolveSources(ctx, st)
	if len(sources) == 0 {
		return false
	}
	var parent *image.Image
	if st.id != "" {
		p, err := j.b.be.Image(ctx, st.id.String())
		if err != nil {
			return false
		}
		parent = p
	}
	n := 0
	if parent != nil {
		n = len(parent.Config.History)
	}
	for _, src := range sources {
		if !validParent(src, parent) || !j.matches(ctx, src, n, cfg, createdBy) {
			continue
		}
		f := &following{source: src, n: n - 1, base: st.id}
		j.advance(st, f, cfg, createdBy, sum, n)
		return true
	}
	return false
}

// matches reports whether history entry i of src was made by createdBy
// (and, for its last entry, whether src has the step's config) and its
// layer, if any, can be read back.
func (j *job) matches(ctx context.Context, src *image.Image, i int, cfg dockerspec.DockerOCIImageConfig, createdBy string) bool {
	hist := src.Config.History
	if i >= len(hist) || hist[i].CreatedBy != createdBy {
		return false
	}
	if i == len(hist)-1 {
		return sameConfig(src.Config.Config, cfg)
	}
	if hist[i].EmptyLayer {
		return true
	}
	lr, ok := j.b.be.(LayerReader)
	idx := layerIndex(src, i)
	if !ok || idx < 0 {
		return false
	}
	rc, err := lr.LayerTar(ctx, src.DiffIDs[idx])
	if err != nil {
		return false
	}
	rc.Close()
	return true
}

// advance moves st to history entry i of f's source.
func (j *job) advance(st *state, f *following, cfg dockerspec.DockerOCIImageConfig, createdBy, sum string, i int) {
	st.out.Stream(" ---> Using cache\n")
	if i == len(f.source.Config.History)-1 {
		st.id, st.cfg = f.source.ID, cloneConfig(f.source.Config.Config)
		j.setFollowing(st, nil)
		return
	}
	f.pending = append(f.pending, followedStep{createdBy: createdBy, author: st.author, sum: sum, cfg: cloneConfig(cfg), hist: i})
	f.n = i
	// The stage's image is the source's until the steps are restored.
	st.id, st.cfg = f.source.ID, cloneConfig(cfg)
	j.setFollowing(st, f)
}

// settleCacheFrom restores the followed steps of a stage that ends while
// following a cache source.
func (j *job) settleCacheFrom(ctx context.Context, st *state) error {
	if j.following(st) == nil {
		return nil
	}
	if err := j.restore(ctx, st); err != nil {
		return err
	}
	return nil
}

// restore makes images of the steps st followed, as a local build would
// have (reusing those the cache already has), and records them in the
// cache. On failure st is left on an image that does not exist, so the
// step that needed it fails too.
func (j *job) restore(ctx context.Context, st *state) error {
	f := j.following(st)
	j.setFollowing(st, nil)
	if f == nil {
		return nil
	}
	cur, err := j.restoreSteps(ctx, f)
	if err != nil {
		st.id = digest.FromString("berth: cache source restore failed")
		st.out.Stream(fmt.Sprintf("restoring the steps of cache source %s: %v\n", shortID(f.source.ID.String()), err))
		return fmt.Errorf("restoring the steps of cache source %s: %w", shortID(f.source.ID.String()), err)
	}
	st.id = cur
	return nil
}

func (j *job) restoreSteps(ctx context.Context, f *following) (digest.Digest, error) {
	cur := f.base
	for _, p := range f.pending {
		key := stepKey(cur, p.createdBy, p.author, p.cfg, p.sum)
		if j.b.cache != nil {
			if id, ok := j.b.cache.Lookup(key); ok {
				if img, err := j.b.be.Image(ctx, id.String()); err == nil {
					j.hit(key)
					cur = img.ID
					continue
				}
			}
		}
		img, err := j.restoreStep(ctx, f.source, cur, p)
		if err != nil {
			return "", err
		}
		if j.b.cache != nil {
			if err := j.b.cache.Store(key, img.ID); err != nil {
				return "", err
			}
		}
		cur = img.ID
	}
	return cur, nil
}

func (j *job) restoreStep(ctx context.Context, src *image.Image, parent digest.Digest, p followedStep) (*image.Image, error) {
	opts := image.ChildOptions{Parent: parent, Config: p.cfg, CreatedBy: p.createdBy, Author: p.author}
	if !src.Config.History[p.hist].EmptyLayer {
		lr, ok := j.b.be.(LayerReader)
		idx := layerIndex(src, p.hist)
		if !ok || idx < 0 {
			return nil, fmt.Errorf("layer of step %d not readable: %w", p.hist, errdefs.ErrNotImplemented)
		}
		rc, err := lr.LayerTar(ctx, src.DiffIDs[idx])
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		opts.Layer = rc
	}
	return j.b.be.Child(ctx, opts)
}

// layerIndex is the index in img's layers of history entry i's layer,
// -1 if it has none.
func layerIndex(img *image.Image, i int) int {
	idx := -1
	for k, h := range img.Config.History[:i+1] {
		if !h.EmptyLayer {
			idx++
		}
		if k == i && h.EmptyLayer {
			return -1
		}
	}
	if idx >= len(img.DiffIDs) {
		return -1
	}
	return idx
}

// validParent reports whether img's layers and history start with
// parent's (all of img when parent is nil: FROM scratch). History
// entries compare by what made them, not when.
func validParent(img, parent *image.Image) bool {
	hist := img.Config.History
	if len(hist) == 0 {
		return false
	}
	if parent == nil {
		return true
	}
	ph := parent.Config.History
	if len(ph) >= len(hist) || len(parent.DiffIDs) > len(img.DiffIDs) {
		return false
	}
	for i, h := range ph {
		if h.CreatedBy != hist[i].CreatedBy || h.EmptyLayer != hist[i].EmptyLayer || h.Comment != hist[i].Comment {
			return false
		}
	}
	for i, d := range parent.DiffIDs {
		if img.DiffIDs[i] != d {
			return false
		}
	}
	return true
}

func sameConfig(a, b dockerspec.DockerOCIImageConfig) bool {
	ra, err1 := json.Marshal(a)
	rb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ra) == string(rb)
}

// stepKey is the cache key of a step on parent (probe's, and restored
// steps' when they are recorded in the cache).
func stepKey(parent digest.Digest, createdBy, author string, cfg dockerspec.DockerOCIImageConfig, sum string) string {
	return cacheKey(parent, createdBy+"\x00"+author, cfg, sum)
}
