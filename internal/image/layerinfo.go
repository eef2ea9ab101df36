package image

import (
	"context"
	"errors"
	"slices"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// bucketDiffs maps a layer's diff ID to what Berth knows about it:
//
//	diffids/<diff-id> → diffInfo (JSON): unpacked size and the compressed
//	                    blobs known to hold it (pulled, or made by a push),
//	                    with the repositories that have each blob.
//
// Entries are hints: a listed blob may have been collected since, so
// readers check the content store before using one.
const bucketDiffs = "diffids"

type diffInfo struct {
	Size    int64      `json:"size"`              // unpacked file content (docker's layer size)
	TarSize int64      `json:"tarSize,omitempty"` // bytes of the uncompressed layer tar
	Blobs   []blobDesc `json:"blobs,omitempty"`
}

// blobDesc is one compressed (or uncompressed) form of a layer.
type blobDesc struct {
	Digest    digest.Digest `json:"digest"`
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
	Repos     []string      `json:"repos,omitempty"` // normalized repository names holding it
}

func (s *Service) diffInfo(id digest.Digest) (diffInfo, error) {
	var di diffInfo
	err := s.db.Get(bucketDiffs, id.String(), &di)
	if errors.Is(err, errdefs.ErrNotFound) {
		err = nil
	}
	return di, err
}

// noteBlob records that blob b holds layer id (in repo, when known) and
// the layer's sizes (when > 0).
func (s *Service) noteBlob(ctx context.Context, id digest.Digest, size int64, b blobDesc, tarSize ...int64) error {
	return s.db.Update(func(tx *metadata.Tx) error {
		var di diffInfo
		if err := tx.Get(bucketDiffs, id.String(), &di); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
		if size > 0 {
			di.Size = size
		}
		if len(tarSize) > 0 && tarSize[0] > 0 {
			di.TarSize = tarSize[0]
		}
		if b.Digest != "" {
			i := slices.IndexFunc(di.Blobs, func(x blobDesc) bool { return x.Digest == b.Digest })
			if i < 0 {
				di.Blobs = append(di.Blobs, blobDesc{Digest: b.Digest, MediaType: b.MediaType, Size: b.Size})
				i = len(di.Blobs) - 1
			}
			for _, r := range b.Repos {
				if !slices.Contains(di.Blobs[i].Repos, r) {
					di.Blobs[i].Repos = append(di.Blobs[i].Repos, r)
				}
			}
		}
		return tx.Put(bucketDiffs, id.String(), &di)
	})
}
