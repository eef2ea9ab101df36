package image

import (
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
)

// driverDataer is implemented by snapshotters that can describe an image's
// layer directories for GraphDriver.Data.
type driverDataer interface {
	DriverData(chainID string) map[string]string
}

// InspectResponse converts img to GET /images/{name}/json as Docker fills it.
func (s *Service) InspectResponse(img *Image) image.InspectResponse {
	cfg := img.Config.Config
	resp := image.InspectResponse{
		ID:           img.ID.String(),
		RepoTags:     nonNil(img.RepoTags),
		RepoDigests:  nonNil(img.RepoDigests),
		Comment:      img.Comment,
		Author:       img.Config.Author,
		Config:       &cfg,
		Architecture: img.Config.Architecture,
		Variant:      img.Config.Variant,
		Os:           img.Config.OS,
		OsVersion:    img.Config.OSVersion,
		Size:         img.Size,
		GraphDriver:  &storage.DriverData{Name: s.sn.Name(), Data: map[string]string{}},
		RootFS:       image.RootFS{Type: "layers"},
		Metadata:     image.Metadata{LastTagTime: img.LastTagTime},
	}
	if img.Config.Created != nil {
		resp.Created = img.Config.Created.UTC().Format(time.RFC3339Nano)
	}
	for _, d := range img.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, d.String())
	}
	if dd, ok := s.sn.(driverDataer); ok && img.ChainID != "" {
		if data := dd.DriverData(img.ChainID); data != nil {
			resp.GraphDriver.Data = data
		}
	}
	return resp
}

// Summary converts img to an entry of GET /images/json as Docker fills it
// (Containers and SharedSize -1: not computed).
func (s *Service) Summary(img *Image) image.Summary {
	return image.Summary{
		Containers:  -1,
		Created:     img.Created.Unix(),
		ID:          img.ID.String(),
		ParentID:    img.Parent.String(),
		Labels:      img.Config.Config.Labels,
		RepoDigests: nonNil(img.RepoDigests),
		RepoTags:    nonNil(img.RepoTags),
		SharedSize:  -1,
		Size:        img.Size,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
