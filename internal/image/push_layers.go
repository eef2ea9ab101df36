package image

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pushLayers makes sure the registry has every layer blob of img and
// returns their descriptors in order.
func (s *Service) pushLayers(ctx context.Context, sess *registry.Session, p *progress, ref reference.Named, img *Image) ([]ocispec.Descriptor, error) {
	for _, d := range img.DiffIDs {
		p.status(shortID(d), "Preparing")
	}
	descs := make([]ocispec.Descriptor, len(img.DiffIDs))
	errs := make([]error, len(img.DiffIDs))
	sem := make(chan struct{}, maxUploads)
	done := make(chan int)
	for i, d := range img.DiffIDs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- i }()
			descs[i], errs[i] = s.pushLayer(ctx, sess, p, ref.Name(), img.ID, d)
		}()
	}
	for range img.DiffIDs {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return descs, nil
}

func (s *Service) pushLayer(ctx context.Context, sess *registry.Session, p *progress, repo string, imgID, diffID digest.Digest) (ocispec.Descriptor, error) {
	id := shortID(diffID)
	b, err := s.layerBlob(ctx, p, imgID, diffID)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: b.MediaType, Digest: b.Digest, Size: b.Size}
	unlock, err := s.pushes.lock(ctx, uploadKey(sess, b.Digest))
	if err != nil {
		return desc, err
	}
	defer unlock()
	if ok, err := sess.BlobExists(ctx, b.Digest); err != nil {
		return desc, err
	} else if ok {
		p.status(id, "Layer already exists")
		return desc, s.noteBlob(ctx, diffID, 0, blobDesc{Digest: b.Digest, Repos: []string{repo}})
	}
	if from := mountSource(b.Repos, repo, sess.Repository().RegistryStr()); from != "" {
		if ok, err := sess.Mount(ctx, b.Digest, from); err == nil && ok {
			p.status(id, "Mounted from "+reference.FamiliarString(mustNamed(from)))
			return desc, s.noteBlob(ctx, diffID, 0, blobDesc{Digest: b.Digest, Repos: []string{repo}})
		}
	}
	f, err := s.cs.Open(ctx, b.Digest)
	if err != nil {
		return desc, err
	}
	defer f.Close()
	c := &seekCounter{counter{r: f, p: p, id: id, status: "Pushing", total: b.Size}, f}
	if err := sess.PutBlob(ctx, b.Digest, b.Size, c); err != nil {
		return desc, err
	}
	p.status(id, "Pushed")
	return desc, s.noteBlob(ctx, diffID, 0, blobDesc{Digest: b.Digest, Repos: []string{repo}})
}

// seekCounter is a progress counter over a seekable blob, so the
// registry client can send an upload again from the start (after a token
// refresh); seeking moves the bar with it.
type seekCounter struct {
	counter
	s io.Seeker
}

func (c *seekCounter) Seek(off int64, whence int) (int64, error) {
	n, err := c.s.Seek(off, whence)
	if err == nil {
		c.n = n
	}
	return n, err
}

// uploadKey names the lock for writing blob d to the session's
// repository (see keyLock).
func uploadKey(sess *registry.Session, d digest.Digest) string {
	return "upload " + sess.Repository().Name() + "@" + d.String()
}

// mountSource picks a repository on the same registry that has the blob.
func mountSource(repos []string, repo, registryHost string) string {
	for _, r := range repos {
		if r == repo {
			continue
		}
		if n, err := reference.ParseNormalizedNamed(r); err == nil && sameRegistry(reference.Domain(n), registryHost) {
			return reference.Path(n)
		}
	}
	return ""
}

func sameRegistry(domain, host string) bool {
	return domain == host || (domain == "docker.io" && host == "index.docker.io")
}

func mustNamed(path string) reference.Named {
	n, err := reference.ParseNormalizedNamed(path)
	if err != nil {
		n, _ = reference.ParseNormalizedNamed("unknown")
	}
	return n
}

// layerBlob returns a stored compressed blob for diffID, compressing the
// layer (once) when none is known. Concurrent pushes of the layer wait
// for one compression and share its blob.
func (s *Service) layerBlob(ctx context.Context, p *progress, imgID, diffID digest.Digest) (blobDesc, error) {
	unlock, err := s.pushes.lock(ctx, "compress "+diffID.String())
	if err != nil {
		return blobDesc{}, err
	}
	defer unlock()
	di, err := s.diffInfo(diffID)
	if err != nil {
		return blobDesc{}, err
	}
	for _, b := range di.Blobs {
		if _, err := s.cs.Size(ctx, b.Digest); err == nil {
			return b, nil
		}
	}
	src, err := s.cs.Open(ctx, diffID)
	if err != nil {
		return blobDesc{}, fmt.Errorf("layer %s: no stored content to push: %w", diffID, errdefs.ErrFailedPrecondition)
	}
	defer src.Close()
	b, err := s.compress(ctx, src)
	if err != nil {
		return blobDesc{}, err
	}
	if err := s.noteBlob(ctx, diffID, 0, b); err != nil {
		return blobDesc{}, err
	}
	return b, s.keepBlob(imgID, b.Digest)
}

// compress gzips r into the content store.
func (s *Service) compress(ctx context.Context, r io.Reader) (blobDesc, error) {
	w, err := s.cs.Writer(ctx)
	if err != nil {
		return blobDesc{}, err
	}
	defer w.Close()
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return blobDesc{}, err
	}
	if _, err := io.Copy(zw, r); err != nil {
		return blobDesc{}, err
	}
	if err := zw.Close(); err != nil {
		return blobDesc{}, err
	}
	if err := w.Commit(ctx, ""); err != nil {
		return blobDesc{}, err
	}
	return blobDesc{Digest: w.Digest(), MediaType: mediaDockerLayer, Size: w.Size()}, nil
}

// keepBlob adds b to the image's record so GC keeps it.
func (s *Service) keepBlob(id, b digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(tx *metadata.Tx) error {
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if slices.Contains(rec.Blobs, b) {
			return nil
		}
		rec.Blobs = append(rec.Blobs, b)
		return putRecord(tx, rec)
	})
}
