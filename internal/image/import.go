package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/archive/decompress"
	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions are the options of docker import.
type ImportOptions struct {
	Ref      string   // optional repo[:tag] to tag the image with
	Message  string   // commit message (config comment and history)
	Changes  []string // Dockerfile instructions: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL
	Platform string   // os[/arch[/variant]], default the host's
}

// Import streams a rootfs tarball (plain, gzip, bzip2, xz or zstd) into a
// one-layer image. The layer is unpacked and stored in the content store
// (digest = diff ID) in the same pass. On error nothing is left behind.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (*Image, error) {
	ref, err := parseTagRef(opts.Ref)
	if err != nil {
		return nil, err
	}
	platform, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	cfg, err := applyChanges(dockerspec.DockerOCIImageConfig{}, opts.Changes)
	if err != nil {
		return nil, err
	}
	l, err := s.importLayer(ctx, r)
	if err != nil {
		return nil, err
	}
	img, err := s.commitImport(ctx, l, ref, platform, cfg, opts.Message)
	if err != nil {
		s.undoImport(ctx, l)
		return nil, err
	}
	return img, nil
}

// importedLayer is an unpacked layer waiting for its image record.
type importedLayer struct {
	diffID  digest.Digest
	chainID string
	size    int64
	created bool // the layer did not exist before this import
	config  digest.Digest
}

func (s *Service) importLayer(ctx context.Context, r io.Reader) (*importedLayer, error) {
	rc, err := decompress.Stream(r)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer rc.Close()
	w, err := s.cs.Writer(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Close() // aborts unless committed
	name := func() (string, error) { return w.Digest().String(), nil }
	chainID, size, err := s.sn.ApplyUnnamedLayer(ctx, "", io.TeeReader(rc, w), name)
	created := err == nil
	if err != nil && !errors.Is(err, errdefs.ErrAlreadyExists) {
		return nil, fmt.Errorf("import: %w", err)
	}
	l := &importedLayer{diffID: w.Digest(), chainID: chainID, size: size, created: created}
	if err := w.Commit(ctx, ""); err != nil {
		s.undoImport(ctx, l)
		return nil, err
	}
	return l, nil
}

func (s *Service) commitImport(ctx context.Context, l *importedLayer, ref reference.Named, platform ocispec.Platform, cfg dockerspec.DockerOCIImageConfig, msg string) (*Image, error) {
	raw, created, err := importConfig(l.diffID, platform, cfg, msg)
	if err != nil {
		return nil, err
	}
	l.config, _, err = s.cs.Ingest(ctx, bytes.NewReader(raw), "")
	if err != nil {
		return nil, err
	}
	rec := &record{ID: l.config, DiffIDs: []digest.Digest{l.diffID}, ChainIDs: []string{l.chainID},
		Blobs: []digest.Digest{l.diffID}, Created: created, Size: l.size}
	if err := s.register(ctx, rec, ref); err != nil {
		return nil, err
	}
	return s.Get(ctx, rec.ID.String())
}

// register stores rec (merging with an existing record for the same ID)
// and points ref at it, after checking under the lock that its layers and
// blobs still exist (a concurrent delete may have removed shared ones).
func (s *Service) register(ctx context.Context, rec *record, refs ...reference.Named) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range rec.ChainIDs {
		if !s.sn.HasLayer(ctx, c) {
			return fmt.Errorf("layer %s removed concurrently: %w", c, errdefs.ErrAborted)
		}
	}
	for _, b := range append([]digest.Digest{rec.ID}, rec.Blobs...) {
		if _, err := s.cs.Size(ctx, b); err != nil {
			return fmt.Errorf("blob %s: %w", b, err)
		}
	}
	now := time.Now().UTC()
	return s.db.Update(func(tx *metadata.Tx) error {
		if old, err := getRecord(tx, rec.ID); err == nil {
			for _, b := range rec.Blobs { // same config bytes: same image; keep new blobs too
				if !slices.Contains(old.Blobs, b) {
					old.Blobs = append(old.Blobs, b)
				}
			}
			rec = old
		}
		for _, ref := range refs {
			if ref == nil {
				continue
			}
			if err := setRef(tx, ref, rec, now); err != nil {
				return err
			}
		}
		return putRecord(tx, rec)
	})
}

// undoImport removes what a failed import created, unless an image uses it.
func (s *Service) undoImport(ctx context.Context, l *importedLayer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	used, err := s.usage()
	if err != nil {
		return // GC at the next start frees it
	}
	if l.created && l.chainID != "" && !used.chains[l.chainID] {
		_ = s.sn.RemoveLayer(ctx, l.chainID)
	}
	for _, b := range []digest.Digest{l.diffID, l.config} {
		if b != "" && !used.blobs[b] {
			_ = s.cs.Delete(ctx, b)
		}
	}
}

// importConfig builds the config Docker writes for an import.
func importConfig(diffID digest.Digest, platform ocispec.Platform, cfg dockerspec.DockerOCIImageConfig, msg string) ([]byte, time.Time, error) {
	now := time.Now().UTC()
	if msg == "" {
		msg = "Imported from -"
	}
	c := configFile{
		DockerOCIImage: dockerspec.DockerOCIImage{
			Image: ocispec.Image{
				Created:  &now,
				Platform: platform,
				RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
				History:  []ocispec.History{{Created: &now, Comment: msg}},
			},
			Config: cfg,
		},
		Comment: msg,
	}
	raw, err := json.Marshal(c)
	return raw, now, err
}

// parseTagRef parses a repo[:tag] to tag with ("" → nil).
func parseTagRef(s string) (reference.Named, error) {
	if s == "" {
		return nil, nil
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	if _, ok := named.(reference.Canonical); ok {
		return nil, fmt.Errorf("refusing to create a tag with a digest reference: %w", errdefs.ErrInvalidArgument)
	}
	return reference.TagNameOnly(named), nil
}

// parsePlatform parses os[/arch[/variant]], defaulting to the host.
func parsePlatform(s string) (ocispec.Platform, error) {
	p := ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if s == "" {
		return p, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return p, fmt.Errorf("invalid platform %q: %w", s, errdefs.ErrInvalidArgument)
	}
	if parts[0] != "linux" {
		return p, fmt.Errorf("operating system %q is not supported: %w", parts[0], errdefs.ErrInvalidArgument)
	}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}
