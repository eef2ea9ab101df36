package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxConfig bounds an image config blob.
const maxConfig = 8 << 20

// image fetches the config and layers of a single-platform manifest and
// registers the image.
func (pl *puller) image(ctx context.Context, doc *manifestDoc) (*Image, bool, error) {
	cfg, err := pl.config(ctx, doc.Config)
	if err != nil {
		return nil, false, err
	}
	if err := pl.checkPlatform(cfg); err != nil {
		return nil, false, err
	}
	if len(cfg.RootFS.DiffIDs) != len(doc.Layers) {
		return nil, false, fmt.Errorf("image config has %d diff IDs but the manifest %d layers: %w", len(cfg.RootFS.DiffIDs), len(doc.Layers), errdefs.ErrInvalidArgument)
	}
	id := doc.Config.Digest
	wasTagged := pl.s.refPointsAt(pl.named, id)
	jobs := newLayerJobs(doc.Layers, cfg.RootFS.DiffIDs)
	res, err := pl.layers(ctx, jobs)
	undo := func() { pl.s.undoPull(context.WithoutCancel(ctx), res, append(slices.Clone(pl.blobs), id)) }
	if err != nil {
		undo()
		return nil, false, err
	}
	rec := &record{ID: id, DiffIDs: cfg.RootFS.DiffIDs, Blobs: append(pl.blobs, res.blobs...), Size: res.size}
	for _, j := range jobs {
		rec.ChainIDs = append(rec.ChainIDs, j.chainID)
	}
	rec.Created = time.Now().UTC()
	if cfg.Created != nil {
		rec.Created = *cfg.Created
	}
	canonical, err := reference.WithDigest(reference.TrimNamed(pl.named), pl.repoDigest)
	if err != nil {
		return nil, false, err
	}
	refs := []reference.Named{canonical}
	if _, byDigest := pl.named.(reference.Canonical); !byDigest {
		refs = append(refs, pl.named)
	}
	if err := pl.s.register(ctx, rec, refs...); err != nil {
		undo()
		return nil, false, err
	}
	img, err := pl.s.Get(ctx, id.String())
	return img, !wasTagged || res.fetched > 0, err
}

// config fetches (or reads back) and verifies the image config blob.
func (pl *puller) config(ctx context.Context, desc ocispec.Descriptor) (*configFile, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("config digest %q: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	raw, err := pl.s.cs.ReadBlob(ctx, desc.Digest)
	if err != nil {
		rc, _, err := pl.sess.Blob(ctx, desc.Digest, 0)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		if raw, err = io.ReadAll(io.LimitReader(rc, maxConfig)); err != nil {
			return nil, fmt.Errorf("read config %s: %v: %w", desc.Digest, err, errdefs.ErrUnavailable)
		}
		if digest.FromBytes(raw) != desc.Digest {
			return nil, fmt.Errorf("image config verification failed for digest %s: %w", desc.Digest, errdefs.ErrDataLoss)
		}
		if _, _, err := pl.s.cs.Ingest(ctx, bytes.NewReader(raw), desc.Digest); err != nil {
			return nil, err
		}
	}
	var cfg configFile
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("malformed image config %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return &cfg, nil
}

func (pl *puller) checkPlatform(cfg *configFile) error {
	if !pl.explicitPlatform {
		return nil
	}
	have := ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if !platformMatches(have, pl.platform) {
		return fmt.Errorf("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s: %w",
			reference.FamiliarString(pl.named), platformString(pl.platform), platformString(have), errdefs.ErrNotFound)
	}
	return nil
}

// refPointsAt reports whether ref already names image id.
func (s *Service) refPointsAt(ref reference.Named, id digest.Digest) bool {
	var got digest.Digest
	_ = s.db.View(func(tx *metadata.Tx) error {
		got, _ = refTarget(tx, ref.String())
		return nil
	})
	return got == id
}

// undoPull frees the layers and blobs a failed pull stored, unless an
// image uses them (GC at the next start covers what this misses).
func (s *Service) undoPull(ctx context.Context, res *layerResult, blobs []digest.Digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	used, err := s.usage()
	if err != nil {
		return
	}
	if res != nil {
		for i := len(res.created) - 1; i >= 0; i-- {
			if c := res.created[i]; !used.chains[c] {
				_ = s.sn.RemoveLayer(ctx, c)
			}
		}
		blobs = append(blobs, res.blobs...)
	}
	for _, b := range blobs {
		if !used.blobs[b] {
			_ = s.cs.Delete(ctx, b)
		}
	}
}
