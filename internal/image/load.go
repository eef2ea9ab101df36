package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/archive/decompress"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Load reads a docker-archive (manifest.json) or an OCI image layout
// (index.json) tarball, possibly compressed, and registers its images
// with their tags. Every file is streamed into the content store once;
// layers are then verified against the configs' diff IDs and unpacked.
// Images are registered only after all of them unpacked, so a bad archive
// registers nothing; what it stored is freed before Load returns (and by
// GC at the next start if the daemon dies meanwhile).
func (s *Service) Load(ctx context.Context, r io.Reader, progressFn ProgressFunc) (retErr error) {
	p := newProgress(progressFn)
	ld := &loader{s: s, p: p, files: map[string]blobDesc{}, links: map[string]string{}}
	res := &layerResult{}
	defer func() { s.undoPull(context.WithoutCancel(ctx), undoSet(res, retErr), ld.ingested) }()
	if err := ld.read(ctx, r); err != nil {
		return err
	}
	imgs, err := ld.images(ctx)
	if err != nil {
		return err
	}
	for _, li := range imgs {
		if err := ld.unpack(ctx, li, res); err != nil {
			return err
		}
	}
	for _, li := range imgs {
		if err := s.register(ctx, li.rec, li.refs...); err != nil {
			return err
		}
		msg := "Loaded image ID: " + li.rec.ID.String()
		for i, ref := range li.refs {
			if i == 0 {
				msg = ""
			}
			msg += "Loaded image: " + reference.FamiliarString(ref)
			if i < len(li.refs)-1 {
				msg += "\n"
			}
		}
		p.send(jsonstream.Message{Stream: msg + "\n"})
	}
	return nil
}

// undoSet keeps the layers of a successful load (they are registered).
func undoSet(res *layerResult, err error) *layerResult {
	if err == nil {
		return &layerResult{}
	}
	return res
}

type loader struct {
	s        *Service
	p        *progress
	files    map[string]blobDesc // cleaned path → stored blob
	links    map[string]string   // cleaned path → cleaned target path
	ingested []digest.Digest
}

// loadedImage is one image of the archive, ready to unpack and register.
type loadedImage struct {
	rec    *record
	layers []digest.Digest // blob per layer, compressed or not
	media  []string        // the layers' media types (OCI layouts)
	refs   []reference.Named
}

func (ld *loader) read(ctx context.Context, r io.Reader) error {
	dr, err := decompress.Stream(r)
	if err != nil {
		return fmt.Errorf("load: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("invalid tar archive: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		name := cleanName(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg:
			d, n, err := ld.s.cs.Ingest(ctx, tr, "")
			if err != nil {
				if errdefs.IsCanceled(err) || ctx.Err() != nil {
					return err
				}
				return fmt.Errorf("invalid tar archive: %s: %v: %w", hdr.Name, err, errdefs.ErrInvalidArgument)
			}
			ld.ingested = append(ld.ingested, d)
			ld.files[name] = blobDesc{Digest: d, Size: n}
		case tar.TypeSymlink:
			ld.links[name] = cleanName(path.Join(path.Dir(name), hdr.Linkname))
		case tar.TypeLink:
			ld.links[name] = cleanName(hdr.Linkname)
		}
	}
}

func cleanName(n string) string { return strings.TrimPrefix(path.Clean("/"+n), "/") }

// file resolves name (following links) to its stored blob.
func (ld *loader) file(name string) (blobDesc, error) {
	name = cleanName(name)
	for i := 0; i < 16; i++ {
		if b, ok := ld.files[name]; ok {
			return b, nil
		}
		t, ok := ld.links[name]
		if !ok {
			break
		}
		name = t
	}
	return blobDesc{}, fmt.Errorf("invalid archive: %s is missing: %w", name, errdefs.ErrInvalidArgument)
}

func (ld *loader) readJSON(ctx context.Context, name string, v any) (blobDesc, error) {
	b, err := ld.file(name)
	if err != nil {
		return b, err
	}
	raw, err := ld.s.cs.ReadBlob(ctx, b.Digest)
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return b, fmt.Errorf("invalid archive: %s: %v: %w", name, err, errdefs.ErrInvalidArgument)
	}
	return b, nil
}

func (ld *loader) images(ctx context.Context) ([]*loadedImage, error) {
	if _, err := ld.file("manifest.json"); err == nil {
		return ld.dockerImages(ctx)
	}
	if _, err := ld.file("index.json"); err == nil {
		return ld.ociImages(ctx)
	}
	return nil, fmt.Errorf("invalid archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found: %w", errdefs.ErrInvalidArgument)
}

func (ld *loader) dockerImages(ctx context.Context) ([]*loadedImage, error) {
	var ms []archiveManifest
	if _, err := ld.readJSON(ctx, "manifest.json", &ms); err != nil {
		return nil, err
	}
	var out []*loadedImage
	for _, m := range ms {
		li, err := ld.image(ctx, m.Config, m.Layers)
		if err != nil {
			return nil, err
		}
		for _, t := range m.RepoTags {
			ref, err := parseTagRef(t)
			if err != nil {
				return nil, err
			}
			li.refs = append(li.refs, ref)
		}
		out = append(out, li)
	}
	return out, nil
}

// image checks a config and its layers and prepares the record.
func (ld *loader) image(ctx context.Context, configPath string, layerPaths []string) (*loadedImage, error) {
	var cfg configFile
	cb, err := ld.readJSON(ctx, configPath, &cfg)
	if err != nil {
		return nil, err
	}
	if len(cfg.RootFS.DiffIDs) != len(layerPaths) {
		return nil, fmt.Errorf("invalid archive: config %s has %d diff IDs for %d layers: %w", configPath, len(cfg.RootFS.DiffIDs), len(layerPaths), errdefs.ErrInvalidArgument)
	}
	li := &loadedImage{rec: &record{ID: cb.Digest, DiffIDs: cfg.RootFS.DiffIDs, Created: time.Now().UTC()}}
	if cfg.Created != nil {
		li.rec.Created = *cfg.Created
	}
	for _, lp := range layerPaths {
		b, err := ld.file(lp)
		if err != nil {
			return nil, err
		}
		li.layers = append(li.layers, b.Digest)
	}
	return li, nil
}

func (ld *loader) ociImages(ctx context.Context) ([]*loadedImage, error) {
	var idx ocispec.Index
	if _, err := ld.readJSON(ctx, "index.json", &idx); err != nil {
		return nil, err
	}
	var out []*loadedImage
	for _, d := range idx.Manifests {
		li, err := ld.ociImage(ctx, d, 0)
		if err != nil {
			return nil, err
		}
		if li != nil {
			out = append(out, li)
		}
	}
	return out, nil
}

func blobPath(d digest.Digest) string { return "blobs/" + d.Algorithm().String() + "/" + d.Encoded() }

func (ld *loader) ociImage(ctx context.Context, d ocispec.Descriptor, depth int) (*loadedImage, error) {
	if err := d.Digest.Validate(); err != nil || depth > 2 {
		return nil, fmt.Errorf("invalid OCI layout: bad descriptor %q: %w", d.Digest, errdefs.ErrInvalidArgument)
	}
	var doc manifestDoc
	b, err := ld.readJSON(ctx, blobPath(d.Digest), &doc)
	if err != nil {
		return nil, err
	}
	if b.Digest != d.Digest {
		return nil, fmt.Errorf("invalid OCI layout: blob %s has digest %s: %w", d.Digest, b.Digest, errdefs.ErrInvalidArgument)
	}
	if doc.Manifests != nil || d.MediaType == ocispec.MediaTypeImageIndex || d.MediaType == mediaDockerList {
		host, _ := parsePlatform("")
		m, err := pickPlatform(doc.Manifests, host, "archive")
		if err != nil {
			return nil, err
		}
		m.Annotations = d.Annotations
		return ld.ociImage(ctx, m, depth+1)
	}
	var layers []string
	for _, l := range doc.Layers {
		layers = append(layers, blobPath(l.Digest))
	}
	li, err := ld.image(ctx, blobPath(doc.Config.Digest), layers)
	if err != nil {
		return nil, err
	}
	for _, l := range doc.Layers {
		li.media = append(li.media, l.MediaType)
	}
	li.rec.Blobs = append(li.rec.Blobs, d.Digest)
	if ref := ociRefName(d.Annotations); ref != nil {
		li.refs = append(li.refs, ref)
	}
	return li, nil
}

// ociRefName reads the image name from an index entry's annotations:
// containerd's full name, or a ref.name that is itself a full reference.
func ociRefName(a map[string]string) reference.Named {
	for _, k := range []string{"io.containerd.image.name", ocispec.AnnotationRefName} {
		v := a[k]
		if v == "" || (k == ocispec.AnnotationRefName && !strings.ContainsAny(v, "/:")) {
			continue
		}
		if ref, err := parseTagRef(v); err == nil && ref != nil {
			return ref
		}
	}
	return nil
}

// unpack applies li's layers bottom up, verifying each diff ID.
func (ld *loader) unpack(ctx context.Context, li *loadedImage, res *layerResult) error {
	parent := ""
	for i, diffID := range li.rec.DiffIDs {
		chain := diffID.String()
		if parent != "" {
			chain = digest.FromString(parent + " " + diffID.String()).String()
		}
		blob := li.layers[i]
		li.rec.Blobs = append(li.rec.Blobs, blob)
		li.rec.ChainIDs = append(li.rec.ChainIDs, chain)
		if ld.s.sn.HasLayer(ctx, chain) {
			di, _ := ld.s.diffInfo(diffID)
			li.rec.Size += di.Size
			parent = chain
			continue
		}
		mt := mediaDockerLayer
		if i < len(li.media) && li.media[i] != "" {
			mt = li.media[i]
		}
		if err := ld.apply(ctx, parent, chain, diffID, blobDesc{Digest: blob, MediaType: mt}, li, res); err != nil {
			return err
		}
		parent = chain
	}
	return nil
}

func (ld *loader) apply(ctx context.Context, parent, chain string, diffID digest.Digest, blob blobDesc, li *loadedImage, res *layerResult) error {
	f, err := ld.s.cs.Open(ctx, blob.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	total, _ := ld.s.cs.Size(ctx, blob.Digest)
	id := shortID(digest.Digest(chain))
	c := &counter{r: f, p: ld.p, id: id, status: "Loading layer", total: total}
	size, tarSize, err := applyCompressed(ctx, ld.s, parent, chain, diffID, c)
	switch {
	case errors.Is(err, errdefs.ErrAlreadyExists):
	case errdefs.IsDataLoss(err):
		return fmt.Errorf("invalid archive: %v: %w", err, errdefs.ErrInvalidArgument)
	case err != nil:
		return err
	default:
		res.created = append(res.created, chain)
	}
	li.rec.Size += size
	var b blobDesc
	if blob.Digest != diffID {
		b = blobDesc{Digest: blob.Digest, MediaType: blob.MediaType, Size: total}
	}
	return ld.s.noteBlob(ctx, diffID, size, b, tarSize)
}
