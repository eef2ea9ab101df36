package image

import (
	"context"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// DiskUsage returns every image's summary, newest first, with Containers
// (from containers, which counts the containers using an image) and
// SharedSize (the size of its layers other images use too) filled in, and
// LayersSize: the unpacked size of all layers, each counted once.
func (s *Service) DiskUsage(ctx context.Context, containers func(id digest.Digest) int64) ([]image.Summary, int64, error) {
	imgs, err := s.List(ctx)
	if err != nil {
		return nil, 0, err
	}
	recs := map[digest.Digest]*record{}
	if err := s.db.View(func(tx *metadata.Tx) error {
		all, err := allRecords(tx)
		for _, r := range all {
			recs[r.ID] = r
		}
		return err
	}); err != nil {
		return nil, 0, err
	}
	users, sizes := map[string]int{}, map[string]int64{}
	for _, r := range recs {
		for c, sz := range s.chainSizes(r) {
			sizes[c] = sz
		}
		for _, c := range r.ChainIDs {
			users[c]++
		}
	}
	var total int64
	for _, sz := range sizes {
		total += sz
	}
	out := make([]image.Summary, 0, len(imgs))
	for _, img := range imgs {
		sum := s.Summary(img)
		sum.SharedSize = 0
		if r := recs[img.ID]; r != nil {
			for _, c := range r.ChainIDs {
				if users[c] > 1 {
					sum.SharedSize += sizes[c]
				}
			}
		}
		sum.Containers = 0
		if containers != nil {
			sum.Containers = containers(img.ID)
		}
		out = append(out, sum)
	}
	return out, total, nil
}
