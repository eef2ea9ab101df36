package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/berth-engine/berth/internal/archive/decompress"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// archiveManifest is one entry of a docker-archive's manifest.json.
type archiveManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// Save writes the named images as one docker-archive (what `docker save`
// writes: manifest.json, repositories, <config>.json and <layer>/layer.tar).
// Names given as references keep their tag; IDs carry none. Layers
// shared by several images are written once.
func (s *Service) Save(ctx context.Context, names []string, w io.Writer) error {
	type entry struct {
		img  *Image
		tags []string
	}
	var entries []*entry
	byID := map[digest.Digest]*entry{}
	for _, n := range names {
		img, err := s.Get(ctx, n)
		if err != nil {
			return err
		}
		e := byID[img.ID]
		if e == nil {
			e = &entry{img: img}
			byID[img.ID] = e
			entries = append(entries, e)
		}
		if tag := savedTag(n, img); tag != "" {
			e.tags = append(e.tags, tag)
		}
	}
	sw := &saver{s: s, tw: tar.NewWriter(w), written: map[string]bool{}, now: time.Now()}
	var manifest []archiveManifest
	repos := map[string]map[string]string{}
	for _, e := range entries {
		m, top, err := sw.image(ctx, e.img)
		if err != nil {
			return err
		}
		m.RepoTags = e.tags
		if m.RepoTags == nil {
			m.RepoTags = []string{}
		}
		manifest = append(manifest, m)
		for _, t := range e.tags {
			if n, err := reference.ParseNormalizedNamed(t); err == nil {
				if tagged, ok := n.(reference.Tagged); ok && top != "" {
					r := reference.FamiliarName(n)
					if repos[r] == nil {
						repos[r] = map[string]string{}
					}
					repos[r][tagged.Tag()] = top
				}
			}
		}
	}
	if err := sw.json("manifest.json", manifest); err != nil {
		return err
	}
	if len(repos) > 0 {
		if err := sw.json("repositories", repos); err != nil {
			return err
		}
	}
	return sw.tw.Close()
}

// savedTag is the tag a name refers to ("" for IDs and digests).
func savedTag(name string, img *Image) string {
	n, err := reference.ParseNormalizedNamed(name)
	if err != nil || img.ID.Encoded() == name || img.ID.String() == name {
		return ""
	}
	if _, ok := n.(reference.Canonical); ok {
		return ""
	}
	t := reference.FamiliarString(reference.TagNameOnly(n))
	for _, have := range img.RepoTags {
		if have == t {
			return t
		}
	}
	return ""
}

type saver struct {
	s       *Service
	tw      *tar.Writer
	written map[string]bool
	now     time.Time
}

func (sw *saver) image(ctx context.Context, img *Image) (archiveManifest, string, error) {
	raw, err := sw.s.cs.ReadBlob(ctx, img.ID)
	if err != nil {
		return archiveManifest{}, "", err
	}
	m := archiveManifest{Config: img.ID.Encoded() + ".json"}
	if err := sw.file(m.Config, int64(len(raw)), func(w io.Writer) error { _, err := w.Write(raw); return err }); err != nil {
		return m, "", err
	}
	parent := ""
	for _, d := range img.DiffIDs {
		chain := d.String()
		if parent != "" {
			chain = digest.FromString(parent + " " + d.String()).String()
		}
		parent = chain
		dir := digest.Digest(chain).Encoded()
		m.Layers = append(m.Layers, dir+"/layer.tar")
		if err := sw.layer(ctx, dir, d); err != nil {
			return m, "", err
		}
	}
	return m, digest.Digest(parent).Encoded(), nil
}

func (sw *saver) layer(ctx context.Context, dir string, diffID digest.Digest) error {
	if sw.written[dir] {
		return nil
	}
	sw.written[dir] = true
	size, open, err := sw.s.layerTar(ctx, diffID)
	if err != nil {
		return err
	}
	if err := sw.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: sw.now}); err != nil {
		return err
	}
	if err := sw.file(dir+"/VERSION", 3, func(w io.Writer) error { _, err := io.WriteString(w, "1.0"); return err }); err != nil {
		return err
	}
	return sw.file(dir+"/layer.tar", size, func(w io.Writer) error {
		rc, err := open()
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err := io.Copy(w, rc)
		if err == nil && n != size {
			err = fmt.Errorf("layer %s: %d bytes, expected %d: %w", diffID, n, size, errdefs.ErrDataLoss)
		}
		return err
	})
}

func (sw *saver) file(name string, size int64, write func(io.Writer) error) error {
	if err := sw.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: sw.now}); err != nil {
		return err
	}
	return write(sw.tw)
}

func (sw *saver) json(name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sw.file(name, int64(len(raw)), func(w io.Writer) error { _, err := w.Write(raw); return err })
}

// layerTar returns the uncompressed layer tar's length and an opener:
// the stored tar itself (imports, loads), or a stored compressed blob
// decompressed on the fly (pulls).
func (s *Service) layerTar(ctx context.Context, diffID digest.Digest) (int64, func() (io.ReadCloser, error), error) {
	if n, err := s.cs.Size(ctx, diffID); err == nil {
		return n, func() (io.ReadCloser, error) { return s.cs.Open(ctx, diffID) }, nil
	}
	di, err := s.diffInfo(diffID)
	if err != nil {
		return 0, nil, err
	}
	for _, b := range di.Blobs {
		if _, err := s.cs.Size(ctx, b.Digest); err != nil {
			continue
		}
		open := func() (io.ReadCloser, error) { return s.decompressed(ctx, b.Digest) }
		size := di.TarSize
		if size == 0 {
			if size, err = countStream(open); err != nil {
				return 0, nil, err
			}
		}
		return size, open, nil
	}
	return 0, nil, fmt.Errorf("layer %s: no stored content: %w", diffID, errdefs.ErrNotFound)
}

func (s *Service) decompressed(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	f, err := s.cs.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	dr, err := decompress.Stream(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{dr, closers{dr, f}}, nil
}

type closers []io.Closer

func (c closers) Close() error {
	for _, x := range c {
		x.Close()
	}
	return nil
}

func countStream(open func() (io.ReadCloser, error)) (int64, error) {
	rc, err := open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
