package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-engine/berth/internal/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	apiregistry "github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of Docker's v2 schema 2 (OCI's are in ocispec).
const (
	mediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mediaDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaDockerForeign  = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
)

// PullOptions are the options of docker pull.
type PullOptions struct {
	Ref      string // name[:tag] or name@digest; the tag defaults to latest
	Platform string // os[/arch[/variant]], default the host's
	Auth     apiregistry.AuthConfig
	Progress ProgressFunc
}

// Pull fetches an image from its registry: the manifest (choosing the
// platform from a manifest list or OCI index), the config and every layer
// the store lacks; layers download concurrently and unpack as soon as
// their parent is in place. The image is tagged (by tag pulls) and its
// repository digest recorded. On error nothing new is registered, and
// whatever was stored is freed (now, or by GC at the next start).
func (s *Service) Pull(ctx context.Context, opts PullOptions) (*Image, error) {
	if s.rc == nil {
		return nil, errNoRegistry
	}
	named, err := reference.ParseNormalizedNamed(opts.Ref)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	named = reference.TagNameOnly(named)
	platform, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	repo, err := s.rc.Repository(named)
	if err != nil {
		return nil, err
	}
	p := newProgress(opts.Progress)
	tagOrDigest := refSuffix(named)
	p.status(tagOrDigest, "Pulling from "+reference.Path(named))
	sess, err := s.rc.Open(ctx, repo, opts.Auth, false)
	if err != nil {
		return nil, err
	}
	pl := &puller{s: s, sess: sess, p: p, named: named, platform: platform, explicitPlatform: opts.Platform != ""}
	img, fresh, err := pl.run(ctx, tagOrDigest)
	if err != nil {
		return nil, err
	}
	p.status("", "Digest: "+pl.repoDigest.String())
	if fresh {
		p.status("", "Status: Downloaded newer image for "+reference.FamiliarString(named))
	} else {
		p.status("", "Status: Image is up to date for "+reference.FamiliarString(named))
	}
	return img, nil
}

func refSuffix(named reference.Named) string {
	if c, ok := named.(reference.Canonical); ok {
		return c.Digest().String()
	}
	if t, ok := named.(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}

// puller is one Pull.
type puller struct {
	s                *Service
	sess             *registry.Session
	p                *progress
	named            reference.Named
	platform         ocispec.Platform
	explicitPlatform bool

	repoDigest digest.Digest   // the digest the user's reference resolves to
	blobs      []digest.Digest // manifests and layer blobs the image record keeps
}

// manifestDoc covers Docker schema 2 and OCI manifests and indexes.
type manifestDoc struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType,omitempty"`
	Config        ocispec.Descriptor   `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
}

func (pl *puller) run(ctx context.Context, ref string) (*Image, bool, error) {
	raw, mt, dgst, err := pl.sess.Manifest(ctx, ref)
	if err != nil {
		return nil, false, err
	}
	pl.repoDigest = dgst
	doc, mt, err := parseManifest(raw, mt)
	if err != nil {
		return nil, false, err
	}
	if err := pl.storeBlob(ctx, raw, dgst); err != nil {
		return nil, false, err
	}
	if mt == mediaDockerList || mt == ocispec.MediaTypeImageIndex {
		desc, err := pickPlatform(doc.Manifests, pl.platform, reference.FamiliarString(pl.named))
		if err != nil {
			return nil, false, err
		}
		if raw, mt, dgst, err = pl.sess.Manifest(ctx, desc.Digest.String()); err != nil {
			return nil, false, err
		}
		if doc, mt, err = parseManifest(raw, mt); err != nil {
			return nil, false, err
		}
		if mt == mediaDockerList || mt == ocispec.MediaTypeImageIndex {
			return nil, false, fmt.Errorf("nested manifest index %s: %w", dgst, errdefs.ErrNotImplemented)
		}
		if err := pl.storeBlob(ctx, raw, dgst); err != nil {
			return nil, false, err
		}
	}
	return pl.image(ctx, doc)
}

func parseManifest(raw []byte, mt string) (*manifestDoc, string, error) {
	var doc manifestDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, "", fmt.Errorf("malformed manifest: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if doc.SchemaVersion != 2 {
		return nil, "", fmt.Errorf("unsupported manifest schema version %d (Docker schema 1 is deprecated): %w", doc.SchemaVersion, errdefs.ErrNotImplemented)
	}
	if doc.MediaType != "" {
		mt = doc.MediaType
	}
	switch {
	case mt == mediaDockerManifest || mt == ocispec.MediaTypeImageManifest || mt == mediaDockerList || mt == ocispec.MediaTypeImageIndex:
	case doc.Manifests != nil:
		mt = ocispec.MediaTypeImageIndex
	case doc.Config.Digest != "":
		mt = ocispec.MediaTypeImageManifest
	default:
		return nil, "", fmt.Errorf("unsupported manifest media type %q: %w", mt, errdefs.ErrNotImplemented)
	}
	return &doc, mt, nil
}

// pickPlatform chooses the manifest for platform from an index.
func pickPlatform(ms []ocispec.Descriptor, want ocispec.Platform, name string) (ocispec.Descriptor, error) {
	for _, m := range ms {
		if m.Platform != nil && platformMatches(*m.Platform, want) {
			return m, nil
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("no matching manifest for %s in the manifest list entries (image %s): %w", platformString(want), name, errdefs.ErrNotFound)
}

func platformMatches(have, want ocispec.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" || have.Variant == want.Variant {
		return true
	}
	return want.Architecture == "arm64" && want.Variant == "v8" && have.Variant == ""
}

func platformString(p ocispec.Platform) string {
	return strings.TrimSuffix(strings.Join([]string{p.OS, p.Architecture, p.Variant}, "/"), "/")
}

// storeBlob ingests a small verified blob and keeps it with the image.
func (pl *puller) storeBlob(ctx context.Context, raw []byte, d digest.Digest) error {
	if _, _, err := pl.s.cs.Ingest(ctx, bytes.NewReader(raw), d); err != nil {
		return err
	}
	pl.blobs = append(pl.blobs, d)
	return nil
}
