package image

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	apiregistry "github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PushOptions are the options of docker push.
type PushOptions struct {
	Name     string // repository, or repository:tag when Tag is empty
	Tag      string // "" with no tag in Name: every tag of the repository
	Auth     apiregistry.AuthConfig
	Progress ProgressFunc
}

// maxUploads is how many layers upload at once (Docker: 5).
const maxUploads = 5

// Push uploads tagged images to their registry: blobs the registry lacks
// (mounted from another repository of the same registry when one has
// them), then the config and a manifest per tag. Layers are gzip
// compressed once; the blob is kept and reused by later pushes.
// Concurrent pushes share one compression per layer and take turns
// writing one blob to one repository (see keyLock).
func (s *Service) Push(ctx context.Context, opts PushOptions) error {
	if s.rc == nil {
		return errNoRegistry
	}
	refs, err := s.pushRefs(opts.Name, opts.Tag)
	if err != nil {
		return err
	}
	repo, err := s.rc.Repository(refs[0])
	if err != nil {
		return err
	}
	p := newProgress(opts.Progress)
	p.status("", "The push refers to repository ["+refs[0].Name()+"]")
	sess, err := s.rc.Open(ctx, repo, opts.Auth, true)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		if err := s.pushTag(ctx, sess, p, ref); err != nil {
			return err
		}
	}
	return nil
}

// pushRefs lists the tagged references to push.
func (s *Service) pushRefs(nameStr, tag string) ([]reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(nameStr)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if tag != "" {
		t, err := reference.WithTag(reference.TrimNamed(named), tag)
		if err != nil {
			return nil, fmt.Errorf("invalid tag %q: %w", tag, errdefs.ErrInvalidArgument)
		}
		return []reference.NamedTagged{t}, nil
	}
	if t, ok := named.(reference.NamedTagged); ok {
		return []reference.NamedTagged{t}, nil
	}
	var out []reference.NamedTagged
	err = s.db.View(func(tx *metadata.Tx) error {
		return tx.List(bucketRefs, func(key string, _ []byte) error {
			if r, err := reference.ParseNormalizedNamed(key); err == nil && r.Name() == named.Name() {
				if t, ok := r.(reference.NamedTagged); ok {
					out = append(out, t)
				}
			}
			return nil
		})
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("An image does not exist locally with the tag: %s: %w", reference.FamiliarName(named), errdefs.ErrNotFound)
	}
	return out, err
}

func (s *Service) pushTag(ctx context.Context, sess *registry.Session, p *progress, ref reference.NamedTagged) error {
	img, err := s.Get(ctx, ref.String())
	if err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("tag does not exist: %s: %w", reference.FamiliarString(ref), errdefs.ErrNotFound)
		}
		return err
	}
	layers, err := s.pushLayers(ctx, sess, p, ref, img)
	if err != nil {
		return err
	}
	oci := len(layers) > 0 && !slices.ContainsFunc(layers, func(d ocispec.Descriptor) bool { return !strings.HasPrefix(d.MediaType, "application/vnd.oci.") })
	cfgDesc, err := s.pushConfig(ctx, sess, img.ID, oci)
	if err != nil {
		return err
	}
	m := manifestDoc{SchemaVersion: 2, MediaType: mediaDockerManifest, Config: cfgDesc, Layers: layers}
	if oci {
		m.MediaType = ocispec.MediaTypeImageManifest
	}
	raw, err := json.Marshal(pushManifest(m))
	if err != nil {
		return err
	}
	dgst := digest.FromBytes(raw)
	if err := s.putManifest(ctx, sess, ref.Tag(), raw, m.MediaType, dgst); err != nil {
		return err
	}
	s.recordPush(ctx, ref, img.ID, raw, dgst)
	p.status("", fmt.Sprintf("%s: digest: %s size: %d", ref.Tag(), dgst, len(raw)))
	aux, _ := json.Marshal(map[string]any{"Tag": ref.Tag(), "Digest": dgst.String(), "Size": len(raw)})
	rm := json.RawMessage(aux)
	p.send(jsonstream.Message{Aux: &rm})
	return nil
}

// putManifest uploads a manifest; pushes of one manifest to one
// repository (several tags of one image) take turns, as the registry
// rewrites the manifest's revision link in place (see keyLock).
func (s *Service) putManifest(ctx context.Context, sess *registry.Session, tag string, raw []byte, mediaType string, dgst digest.Digest) error {
	unlock, err := s.pushes.lock(ctx, uploadKey(sess, dgst))
	if err != nil {
		return err
	}
	defer unlock()
	return sess.PutManifest(ctx, tag, raw, mediaType)
}

// pushManifest is the wire form: no empty manifests list.
type pushManifestDoc struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	Config        ocispec.Descriptor   `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
}

func pushManifest(m manifestDoc) pushManifestDoc {
	layers := m.Layers
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	return pushManifestDoc{SchemaVersion: 2, MediaType: m.MediaType, Config: m.Config, Layers: layers}
}

func (s *Service) pushConfig(ctx context.Context, sess *registry.Session, id digest.Digest, oci bool) (ocispec.Descriptor, error) {
	mt := mediaDockerConfig
	if oci {
		mt = ocispec.MediaTypeImageConfig
	}
	size, err := s.cs.Size(ctx, id)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: mt, Digest: id, Size: size}
	unlock, err := s.pushes.lock(ctx, uploadKey(sess, id))
	if err != nil {
		return desc, err
	}
	defer unlock()
	if ok, err := sess.BlobExists(ctx, id); err != nil || ok {
		return desc, err
	}
	f, err := s.cs.Open(ctx, id)
	if err != nil {
		return desc, err
	}
	defer f.Close()
	return desc, sess.PutBlob(ctx, id, size, f)
}

// recordPush remembers the manifest and the repository digest, as Docker
// adds name@digest to RepoDigests after a push.
func (s *Service) recordPush(ctx context.Context, ref reference.Named, id digest.Digest, raw []byte, dgst digest.Digest) {
	canonical, err := reference.WithDigest(reference.TrimNamed(ref), dgst)
	if err != nil {
		return
	}
	if _, _, err := s.cs.Ingest(ctx, strings.NewReader(string(raw)), dgst); err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.db.Update(func(tx *metadata.Tx) error {
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(rec.Blobs, dgst) {
			rec.Blobs = append(rec.Blobs, dgst)
		}
		return setRef(tx, canonical, rec, rec.LastTagTime)
	})
}
