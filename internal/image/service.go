package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/content/local"
	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/registry"
	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
)

// Service manages images. It is safe for concurrent use: unpacking runs in
// parallel, metadata changes and the removal of data are serialized.
type Service struct {
	db *metadata.DB
	cs *local.Store
	sn snapshot.Snapshotter
	rc *registry.Client // nil: no pull/push/login

	mu      sync.Mutex // held while changing metadata and removing layers/blobs
	configs sync.Map   // digest.Digest -> *configFile; configs are immutable
	pushes  keyLock    // one upload per blob and repository, one compression per layer
}

// Image is an image as the rest of Berth sees it.
type Image struct {
	ID          digest.Digest
	Parent      digest.Digest // the image it was committed from, "" if none
	Config      dockerspec.DockerOCIImage
	Comment     string   // the config's top-level comment (Docker's import message)
	RepoTags    []string // familiar form: busybox:latest
	RepoDigests []string // familiar form: busybox@sha256:…
	DiffIDs     []digest.Digest
	ChainID     string // top layer's chain ID, "" if no layers
	Created     time.Time
	Size        int64
	LastTagTime time.Time
}

// configFile is an image config with the Docker fields the OCI type lacks.
type configFile struct {
	dockerspec.DockerOCIImage
	Comment string `json:"comment,omitempty"`
}

// Option configures a Service.
type Option func(*Service)

// WithRegistry enables pull, push and login through rc.
func WithRegistry(rc *registry.Client) Option { return func(s *Service) { s.rc = rc } }

// New returns the image service over the metadata DB, content store and
// snapshotter.
func New(ctx context.Context, db *metadata.DB, cs *local.Store, sn snapshot.Snapshotter, opts ...Option) (*Service, error) {
	if db == nil || cs == nil || sn == nil {
		return nil, fmt.Errorf("image service needs a db, content store and snapshotter: %w", errdefs.ErrInvalidArgument)
	}
	s := &Service{db: db, cs: cs, sn: sn}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Get resolves a name[:tag], name@digest, full ID (sha256:…) or an
// unambiguous ID prefix. Unknown: errdefs.ErrNotFound, "No such image: <ref>".
func (s *Service) Get(ctx context.Context, refOrID string) (*Image, error) {
	var rec *record
	err := s.db.View(func(tx *metadata.Tx) error {
		var err error
		rec, _, err = resolve(tx, refOrID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.toImage(ctx, rec)
}

// List returns every image, newest first.
func (s *Service) List(ctx context.Context) ([]*Image, error) {
	var recs []*record
	if err := s.db.View(func(tx *metadata.Tx) error {
		var err error
		recs, err = allRecords(tx)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]*Image, 0, len(recs))
	for _, r := range recs {
		img, err := s.toImage(ctx, r)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // config blob lost: GC will drop the record's data
		}
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// resolve finds the record for refOrID; ref is the reference it was found
// by (nil when found by ID or ID prefix).
func resolve(tx *metadata.Tx, refOrID string) (*record, reference.Named, error) {
	if refOrID == "" {
		return nil, nil, notFoundError{ref: refOrID}
	}
	if d, err := digest.Parse(refOrID); err == nil {
		if r, err := getRecord(tx, d); err == nil {
			return r, nil, nil
		}
	}
	if isHex(refOrID) && len(refOrID) == 64 {
		if r, err := getRecord(tx, digest.NewDigestFromEncoded(digest.SHA256, refOrID)); err == nil {
			return r, nil, nil
		}
	}
	missing := refOrID
	if named, err := reference.ParseNormalizedNamed(refOrID); err == nil {
		named = reference.TagNameOnly(named)
		missing = reference.FamiliarString(named)
		if id, err := refTarget(tx, named.String()); err == nil {
			if r, err := getRecord(tx, id); err == nil {
				return r, named, nil
			}
		}
	}
	if r, err := byPrefix(tx, strings.TrimPrefix(refOrID, "sha256:")); err == nil {
		return r, nil, nil
	}
	return nil, nil, notFoundError{ref: missing}
}

// byPrefix finds the one image whose ID hex starts with prefix.
func byPrefix(tx *metadata.Tx, prefix string) (*record, error) {
	if prefix == "" || !isHex(prefix) {
		return nil, errdefs.ErrNotFound
	}
	var found []*record
	err := tx.List(bucketImages, func(key string, raw []byte) error {
		if strings.HasPrefix(strings.TrimPrefix(key, "sha256:"), prefix) {
			var r record
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			found = append(found, &r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) != 1 {
		return nil, errdefs.ErrNotFound // absent or ambiguous, as Docker
	}
	return found[0], nil
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// config returns the parsed config blob id (cached: configs are immutable).
func (s *Service) config(ctx context.Context, id digest.Digest) (*configFile, error) {
	if c, ok := s.configs.Load(id); ok {
		return c.(*configFile), nil
	}
	raw, err := s.cs.ReadBlob(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("image %s config: %w", id, err)
	}
	var c configFile
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("image %s config: %v: %w", id, err, errdefs.ErrDataLoss)
	}
	s.configs.Store(id, &c)
	return &c, nil
}

func (s *Service) toImage(ctx context.Context, r *record) (*Image, error) {
	c, err := s.config(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	img := &Image{
		ID: r.ID, Parent: r.Parent, Config: c.DockerOCIImage, Comment: c.Comment,
		RepoTags: familiar(r.RepoTags), RepoDigests: familiar(r.RepoDigests),
		DiffIDs: r.DiffIDs, Created: r.Created, Size: r.Size, LastTagTime: r.LastTagTime,
	}
	if c.Created != nil {
		img.Created = *c.Created
	}
	if n := len(r.ChainIDs); n > 0 {
		img.ChainID = r.ChainIDs[n-1]
	}
	return img, nil
}

// familiar converts normalized references to Docker's short form.
func familiar(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, s := range refs {
		if named, err := reference.ParseNormalizedNamed(s); err == nil {
			s = reference.FamiliarString(named)
		}
		out = append(out, s)
	}
	return out
}
