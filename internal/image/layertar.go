package image

import (
	"context"
	"io"

	digest "github.com/opencontainers/go-digest"
)

// LayerTar opens the uncompressed tar of the layer with diffID, as stored
// (imports, loads, commits) or decompressed from its pulled blob. The
// builder reads a --cache-from image's layers back with it.
func (s *Service) LayerTar(ctx context.Context, diffID digest.Digest) (io.ReadCloser, error) {
	_, open, err := s.layerTar(ctx, diffID)
	if err != nil {
		return nil, err
	}
	return open()
}
