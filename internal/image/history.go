package image

import (
	"context"

	"github.com/moby/moby/api/types/image"
	apiregistry "github.com/moby/moby/api/types/registry"
)

// History returns Docker's `docker history` rows, newest first: one per
// config history entry; entries that made a layer carry its size. Rows
// carry the IDs and tags of the image and its parents (fillIDs).
func (s *Service) History(ctx context.Context, refOrID string) ([]image.HistoryResponseItem, error) {
	img, err := s.Get(ctx, refOrID)
	if err != nil {
		return nil, err
	}
	sizes := s.layerSizes(img)
	layer := 0
	var rows []image.HistoryResponseItem
	for _, h := range img.Config.History {
		row := image.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: nil}
		if h.Created != nil {
			row.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layer < len(sizes) {
			row.Size = sizes[layer]
			layer++
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 { // no history: one row per layer
		for _, sz := range sizes {
			rows = append(rows, image.HistoryResponseItem{ID: "<missing>", Created: img.Created.Unix(), Size: sz})
		}
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	s.fillIDs(ctx, img, rows)
	return rows, nil
}

// fillIDs gives the rows, newest first, the IDs and tags of img and its
// parents as Docker does: one row per image of the parent chain, and
// "<missing>" for the rows below the chain's end (layers an image was
// pulled or imported with).
func (s *Service) fillIDs(ctx context.Context, img *Image, rows []image.HistoryResponseItem) {
	for i := range rows {
		rows[i].ID = img.ID.String()
		rows[i].Tags = nil
		if len(img.RepoTags) > 0 {
			rows[i].Tags = img.RepoTags
		}
		if img.Parent == "" {
			return
		}
		p, err := s.Get(ctx, img.Parent.String())
		if err != nil {
			return
		}
		img = p
	}
}

// layerSizes returns each layer's unpacked size as recorded at pull or
// load time; a single-layer image without a record uses the image size.
func (s *Service) layerSizes(img *Image) []int64 {
	out := make([]int64, len(img.DiffIDs))
	for i, d := range img.DiffIDs {
		if di, err := s.diffInfo(d); err == nil {
			out[i] = di.Size
		}
	}
	if len(out) == 1 && out[0] == 0 {
		out[0] = img.Size
	}
	return out
}

// Login validates credentials against the registry (POST /auth).
func (s *Service) Login(ctx context.Context, auth apiregistry.AuthConfig) (string, error) {
	if s.rc == nil {
		return "", errNoRegistry
	}
	return s.rc.Login(ctx, auth)
}
