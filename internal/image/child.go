package image

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ChildOptions describe an image made from another by one build step.
type ChildOptions struct {
	Parent    digest.Digest // "" for FROM scratch
	Config    dockerspec.DockerOCIImageConfig
	Layer     io.Reader // the step's layer tar; nil for a metadata-only step
	CreatedBy string    // the history entry's created_by
	Comment   string
	Author    string // MAINTAINER; "" keeps the parent's
}

// Child registers the image a Dockerfile step makes: the parent's layers,
// plus opts.Layer when the step changed files (else the history entry is
// marked empty_layer, as Docker's builder does), with opts.Config as its
// config. The image is untagged; crash safety is Commit's.
func (s *Service) Child(ctx context.Context, opts ChildOptions) (*Image, error) {
	parent := &Image{Config: dockerspec.DockerOCIImage{Image: ocispec.Image{
		Platform: ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
	}}}
	if opts.Parent != "" {
		p, err := s.Get(ctx, opts.Parent.String())
		if err != nil {
			return nil, err
		}
		parent = p
	}
	l := &importedLayer{}
	if opts.Layer != nil {
		var err error
		if l, err = s.commitLayer(ctx, parent.ChainID, opts.Layer); err != nil {
			return nil, err
		}
	}
	img, err := s.registerChild(ctx, parent, l, opts)
	if err != nil && opts.Layer != nil {
		s.undoImport(ctx, l)
	}
	return img, err
}

func (s *Service) registerChild(ctx context.Context, parent *Image, l *importedLayer, opts ChildOptions) (*Image, error) {
	now := time.Now().UTC()
	img := parent.Config
	img.Created = &now
	img.Config = opts.Config
	if opts.Author != "" {
		img.Author = opts.Author
	}
	diffIDs := append([]digest.Digest{}, parent.DiffIDs...)
	if l.diffID != "" {
		diffIDs = append(diffIDs, l.diffID)
	}
	img.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	img.History = append(slices.Clone(img.History), ocispec.History{Created: &now, CreatedBy: opts.CreatedBy,
		Comment: opts.Comment, EmptyLayer: l.diffID == ""})
	raw, err := json.Marshal(configFile{DockerOCIImage: img})
	if err != nil {
		return nil, err
	}
	if l.config, _, err = s.cs.Ingest(ctx, bytes.NewReader(raw), ""); err != nil {
		return nil, err
	}
	rec := &record{ID: l.config, Parent: parent.ID, Created: now, DiffIDs: diffIDs,
		ChainIDs: chainIDs(diffIDs), Blobs: s.layerBlobs(parent.ID), Size: parent.Size + l.size}
	if l.diffID != "" {
		rec.Blobs = append(rec.Blobs, l.diffID)
	}
	if err := s.register(ctx, rec); err != nil {
		return nil, err
	}
	return s.Get(ctx, rec.ID.String())
}
