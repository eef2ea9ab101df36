package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctr "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CommitOptions describe a container snapshot (POST /commit).
type CommitOptions struct {
	Parent  digest.Digest // the container's image
	Config  *ctr.Config   // the container's config: the new image's config
	Ref     string        // optional repo[:tag]
	Author  string
	Comment string
	Changes []string // Dockerfile instructions applied after Config
}

// Commit stores the layer tar diff (the container's changes) on top of the
// parent image's layers and registers a new image whose config is the
// container's with opts.Changes applied. Crash-safe like Import: the layer
// and blobs become reachable only in the final metadata transaction, and
// GC at start frees them if the daemon dies before it.
func (s *Service) Commit(ctx context.Context, diff io.Reader, opts CommitOptions) (*Image, error) {
	ref, err := parseTagRef(opts.Ref)
	if err != nil {
		return nil, err
	}
	parent, err := s.Get(ctx, opts.Parent.String())
	if err != nil {
		return nil, err
	}
	cfg, err := applyChanges(imageConfig(opts.Config), opts.Changes)
	if err != nil {
		return nil, err
	}
	l, err := s.commitLayer(ctx, parent.ChainID, diff)
	if err != nil {
		return nil, err
	}
	img, err := s.registerCommit(ctx, parent, l, cfg, ref, opts)
	if err != nil {
		s.undoImport(ctx, l)
		return nil, err
	}
	return img, nil
}

// commitLayer unpacks diff over parentChain, keeping the tar under its
// diff ID in the content store (as import does).
func (s *Service) commitLayer(ctx context.Context, parentChain string, diff io.Reader) (*importedLayer, error) {
	w, err := s.cs.Writer(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Close() // aborts unless committed
	name := func() (string, error) { return chainOf(parentChain, w.Digest()), nil }
	chainID, size, err := s.sn.ApplyUnnamedLayer(ctx, parentChain, io.TeeReader(diff, w), name)
	created := err == nil
	if err != nil && !errors.Is(err, errdefs.ErrAlreadyExists) {
		return nil, fmt.Errorf("commit: %w", err)
	}
	l := &importedLayer{diffID: w.Digest(), chainID: chainID, size: size, created: created}
	if err := w.Commit(ctx, ""); err != nil {
		s.undoImport(ctx, l)
		return nil, err
	}
	if err := s.noteBlob(ctx, l.diffID, size, blobDesc{}, w.Size()); err != nil {
		s.undoImport(ctx, l)
		return nil, err
	}
	return l, nil
}

// chainOf is the OCI chain ID of diffID over parent.
func chainOf(parent string, diffID digest.Digest) string {
	if parent == "" {
		return diffID.String()
	}
	return digest.FromString(parent + " " + diffID.String()).String()
}

func (s *Service) registerCommit(ctx context.Context, parent *Image, l *importedLayer, cfg dockerspec.DockerOCIImageConfig, ref reference.Named, opts CommitOptions) (*Image, error) {
	raw, created, err := commitConfig(parent, l.diffID, cfg, opts)
	if err != nil {
		return nil, err
	}
	l.config, _, err = s.cs.Ingest(ctx, bytes.NewReader(raw), "")
	if err != nil {
		return nil, err
	}
	rec := &record{ID: l.config, Parent: parent.ID, Created: created,
		DiffIDs:  append(slices.Clone(parent.DiffIDs), l.diffID),
		ChainIDs: append(chainIDs(parent.DiffIDs), l.chainID),
		Blobs:    append(s.layerBlobs(parent.ID), l.diffID),
		Size:     parent.Size + l.size}
	if err := s.register(ctx, rec, ref); err != nil {
		return nil, err
	}
	return s.Get(ctx, rec.ID.String())
}

// layerBlobs returns the blobs image id keeps besides its config (its
// layer tars): the committed image needs them too, to push and save its
// lower layers once the parent is gone.
func (s *Service) layerBlobs(id digest.Digest) []digest.Digest {
	var out []digest.Digest
	_ = s.db.View(func(tx *metadata.Tx) error {
		r, err := getRecord(tx, id)
		if err == nil {
			out = slices.Clone(r.Blobs)
		}
		return err
	})
	return out
}

// chainIDs returns the chain IDs of a layer stack.
func chainIDs(diffIDs []digest.Digest) []string {
	out := make([]string, 0, len(diffIDs)+1)
	parent := ""
	for _, d := range diffIDs {
		parent = chainOf(parent, d)
		out = append(out, parent)
	}
	return out
}

// commitConfig is the parent's config with the container's config, one
// more layer and one more history entry, as Docker writes it.
func commitConfig(parent *Image, diffID digest.Digest, cfg dockerspec.DockerOCIImageConfig, opts CommitOptions) ([]byte, time.Time, error) {
	now := time.Now().UTC()
	img := parent.Config
	img.Created = &now
	img.Author = opts.Author
	img.Config = cfg
	img.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: append(slices.Clone(parent.DiffIDs), diffID)}
	img.History = append(slices.Clone(img.History), ocispec.History{Created: &now, Author: opts.Author, Comment: opts.Comment})
	raw, err := json.Marshal(configFile{DockerOCIImage: img, Comment: opts.Comment})
	return raw, now, err
}

// imageConfig converts a container's config to the image config fields
// Docker keeps.
func imageConfig(c *ctr.Config) dockerspec.DockerOCIImageConfig {
	var out dockerspec.DockerOCIImageConfig
	if c == nil {
		return out
	}
	out.User, out.Env, out.Cmd, out.Entrypoint = c.User, c.Env, c.Cmd, c.Entrypoint
	out.WorkingDir, out.Labels, out.StopSignal = c.WorkingDir, c.Labels, c.StopSignal
	out.Volumes, out.ArgsEscaped = c.Volumes, c.ArgsEscaped //nolint:staticcheck // Docker keeps it
	out.OnBuild, out.Shell = c.OnBuild, c.Shell
	if len(c.ExposedPorts) > 0 {
		out.ExposedPorts = map[string]struct{}{}
		for p := range c.ExposedPorts {
			out.ExposedPorts[p.String()] = struct{}{}
		}
	}
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = &dockerspec.HealthcheckConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return out
}
