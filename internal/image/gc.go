package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// usageSet is what the image records reference.
type usageSet struct {
	chains map[string]bool
	blobs  map[digest.Digest]bool
}

// usage collects the layers and blobs all records reference. Callers hold s.mu.
func (s *Service) usage() (usageSet, error) {
	u := usageSet{chains: map[string]bool{}, blobs: map[digest.Digest]bool{}}
	err := s.db.View(func(tx *metadata.Tx) error {
		recs, err := allRecords(tx)
		for _, r := range recs {
			u.blobs[r.ID] = true
			for _, b := range r.Blobs {
				u.blobs[b] = true
			}
			for _, c := range r.ChainIDs {
				u.chains[c] = true
			}
		}
		return err
	})
	return u, err
}

// freeData removes the layers and blobs of a deleted image that no
// remaining image uses, and reports removed layers as Docker does.
// Failures are left for GC. Callers hold s.mu.
func (s *Service) freeData(ctx context.Context, r *record) []image.DeleteResponse {
	s.configs.Delete(r.ID)
	u, err := s.usage()
	if err != nil {
		return nil
	}
	var out []image.DeleteResponse
	for i := len(r.ChainIDs) - 1; i >= 0; i-- { // top first: children before parents
		c := r.ChainIDs[i]
		if u.chains[c] {
			continue
		}
		if err := s.sn.RemoveLayer(ctx, c); err == nil {
			out = append(out, image.DeleteResponse{Deleted: c})
		}
	}
	for _, b := range append([]digest.Digest{r.ID}, r.Blobs...) {
		if !u.blobs[b] {
			_ = s.cs.Delete(ctx, b)
		}
	}
	return out
}

// GC removes layers and blobs no image references: what an interrupted
// import, pull or delete left behind. The daemon calls it at start, before
// serving requests. Blobs other services keep in the content store must be
// registered with an image record (record.Blobs) or they are collected too.
func (s *Service) GC(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.usage()
	if err != nil {
		return err
	}
	layers, err := s.sn.Layers(ctx)
	if err != nil {
		return fmt.Errorf("gc: list layers: %w", err)
	}
	var errs []error
	for _, c := range layers {
		if !u.chains[c] {
			errs = append(errs, s.sn.RemoveLayer(ctx, c))
		}
	}
	errs = append(errs, s.cs.Walk(ctx, func(d digest.Digest, _ int64) error {
		if !u.blobs[d] {
			return s.cs.Delete(ctx, d)
		}
		return nil
	}))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	return nil
}
