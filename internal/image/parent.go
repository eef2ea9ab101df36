package image

import (
	"context"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// Images a build or commit made record the image they were made from
// (record.Parent). Like Docker, Berth treats an untagged image that other
// images were made from as an intermediate image: listed only with
// all=1, never dangling, deleted with its last child.

// hasChildren reports whether any image was made from id.
func hasChildren(tx *metadata.Tx, id digest.Digest) (bool, error) {
	recs, err := allRecords(tx)
	if err != nil {
		return false, err
	}
	for _, r := range recs {
		if r.Parent == id {
			return true, nil
		}
	}
	return false, nil
}

// pruneParents deletes the untagged images in the parent chain starting
// at id, as Docker's rmi does after deleting an image: it stops quietly at
// the first image that has a reference, another child or a container
// using it. Callers hold s.mu.
func (s *Service) pruneParents(ctx context.Context, id digest.Digest, inUse func(digest.Digest) string) []image.DeleteResponse {
	var out []image.DeleteResponse
	for id != "" && usedBy(inUse, id) == "" {
		rec, err := s.removeUnused(id)
		if err != nil || rec == nil {
			break
		}
		out = append(out, image.DeleteResponse{Deleted: id.String()})
		out = append(out, s.freeData(ctx, rec)...)
		id = rec.Parent
	}
	return out
}

// removeUnused deletes image id's record when it has no reference and no
// child, returning it (nil when it stays).
func (s *Service) removeUnused(id digest.Digest) (*record, error) {
	var removed *record
	err := s.db.Update(func(tx *metadata.Tx) error {
		removed = nil
		rec, err := getRecord(tx, id)
		if err != nil || len(rec.refs()) > 0 {
			return err
		}
		if children, err := hasChildren(tx, id); err != nil || children {
			return err
		}
		removed = rec
		return tx.Delete(bucketImages, id.String())
	})
	return removed, err
}

// Parents returns the IDs of the images in imgs that others in imgs were
// made from.
func Parents(imgs []*Image) map[digest.Digest]bool {
	out := map[digest.Digest]bool{}
	for _, img := range imgs {
		if img.Parent != "" {
			out[img.Parent] = true
		}
	}
	return out
}

// Intermediate reports whether img is an intermediate image: no tag, no
// digest reference, and images made from it (parents, from Parents).
// `docker images` hides those unless -a.
func Intermediate(img *Image, parents map[digest.Digest]bool) bool {
	return len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 && parents[img.ID]
}
