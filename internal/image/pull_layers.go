package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berth-engine/berth/internal/archive/decompress"
	"github.com/berth-engine/berth/internal/content/local"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxDownloads is how many layers download at once (Docker: 3).
const maxDownloads = 6

// layerJob is one layer of a pull.
type layerJob struct {
	desc    ocispec.Descriptor
	diffID  digest.Digest
	chainID string
	parent  string
	id      string        // short compressed digest, the progress line id
	done    chan struct{} // closed when the blob is in the content store (or err set)
	err     error
}

// layerResult is what the layer phase stored.
type layerResult struct {
	blobs   []digest.Digest // layer blobs the image keeps
	created []string        // chain IDs this pull unpacked
	size    int64
	fetched int // layers downloaded
}

func newLayerJobs(descs []ocispec.Descriptor, diffIDs []digest.Digest) []*layerJob {
	jobs := make([]*layerJob, len(descs))
	parent := ""
	for i, d := range descs {
		chain := diffIDs[i].String()
		if parent != "" {
			chain = digest.FromString(parent + " " + diffIDs[i].String()).String()
		}
		jobs[i] = &layerJob{desc: d, diffID: diffIDs[i], chainID: chain, parent: parent, id: shortID(d.Digest), done: make(chan struct{})}
		parent = chain
	}
	return jobs
}

// layers downloads the missing layer blobs concurrently and unpacks them
// in order, each as soon as its blob and its parent are in place.
func (pl *puller) layers(ctx context.Context, jobs []*layerJob) (*layerResult, error) {
	res := &layerResult{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var need []*layerJob
	for _, j := range jobs {
		if err := j.desc.Digest.Validate(); err != nil {
			return res, fmt.Errorf("layer digest %q: %v: %w", j.desc.Digest, err, errdefs.ErrInvalidArgument)
		}
		if pl.s.sn.HasLayer(ctx, j.chainID) {
			pl.p.status(j.id, "Already exists")
			close(j.done)
			continue
		}
		pl.p.status(j.id, "Pulling fs layer")
		need = append(need, j)
	}
	sem := make(chan struct{}, maxDownloads)
	for _, j := range need {
		go func() {
			defer close(j.done)
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				j.err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			j.err = pl.download(ctx, j)
		}()
	}
	defer func() { // wait for downloads so none outlives the pull
		cancel()
		for _, j := range need {
			<-j.done
		}
	}()
	for _, j := range jobs {
		<-j.done
		if j.err != nil {
			return res, j.err
		}
		if err := pl.unpack(ctx, j, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// download stores j's blob, resuming with HTTP ranges after a broken
// connection, and verifies its size and digest.
func (pl *puller) download(ctx context.Context, j *layerJob) error {
	if _, err := pl.s.cs.Size(ctx, j.desc.Digest); err == nil {
		pl.p.status(j.id, "Download complete")
		return nil
	}
	w, err := pl.s.cs.Writer(ctx)
	if err != nil {
		return err
	}
	defer w.Close()
	for attempt := 0; ; attempt++ {
		err := pl.fetch(ctx, j, w)
		if err == nil {
			break
		}
		if ctx.Err() != nil || attempt >= 4 || !retryable(err) {
			return err
		}
		pl.p.status(j.id, fmt.Sprintf("Retrying in %d seconds", attempt+1))
		select {
		case <-time.After(time.Duration(attempt+1) * time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	pl.p.status(j.id, "Verifying Checksum")
	if j.desc.Size > 0 && w.Size() != j.desc.Size {
		return fmt.Errorf("filesystem layer verification failed for digest %s: size %d, want %d: %w", j.desc.Digest, w.Size(), j.desc.Size, errdefs.ErrDataLoss)
	}
	if err := w.Commit(ctx, j.desc.Digest); err != nil {
		if errdefs.IsInvalidArgument(err) {
			return fmt.Errorf("filesystem layer verification failed for digest %s: %w", j.desc.Digest, errdefs.ErrDataLoss)
		}
		return err
	}
	pl.p.status(j.id, "Download complete")
	return nil
}

// fetch appends the rest of j's blob (from w.Size()) to w.
func (pl *puller) fetch(ctx context.Context, j *layerJob, sw *local.Writer) error {
	rc, total, err := pl.sess.Blob(ctx, j.desc.Digest, sw.Size())
	if err != nil {
		return err
	}
	defer rc.Close()
	if total < 0 {
		total = j.desc.Size
	}
	if j.desc.Size > 0 && sw.Size() >= j.desc.Size {
		return nil
	}
	c := &counter{r: rc, p: pl.p, id: j.id, status: "Downloading", n: sw.Size(), total: total}
	var limit io.Reader = c
	if j.desc.Size > 0 { // never store more than the manifest promised
		limit = io.LimitReader(c, j.desc.Size-sw.Size()+1)
	}
	if _, err := io.Copy(sw, limit); err != nil {
		return fmt.Errorf("download %s: %v: %w", j.id, err, errdefs.ErrUnavailable)
	}
	return nil
}

func retryable(err error) bool {
	return errdefs.IsUnavailable(err) || errors.Is(err, io.ErrUnexpectedEOF)
}

// unpack applies j's blob on its parent, verifying the diff ID, unless the
// layer is already there.
func (pl *puller) unpack(ctx context.Context, j *layerJob, res *layerResult) error {
	if _, err := pl.s.cs.Size(ctx, j.desc.Digest); err == nil {
		res.blobs = append(res.blobs, j.desc.Digest)
	}
	if pl.s.sn.HasLayer(ctx, j.chainID) {
		di, _ := pl.s.diffInfo(j.diffID)
		res.size += di.Size
		return nil
	}
	res.fetched++
	f, err := pl.s.cs.Open(ctx, j.desc.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	size, tarSize, err := applyCompressed(ctx, pl.s, j.parent, j.chainID, j.diffID, &counter{r: f, p: pl.p, id: j.id, status: "Extracting", total: j.desc.Size})
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		err = nil // a concurrent pull committed it first
	} else if err == nil {
		res.created = append(res.created, j.chainID)
	}
	if err != nil {
		return fmt.Errorf("failed to register layer: %w", err)
	}
	res.size += size
	if err := pl.s.noteBlob(ctx, j.diffID, size, blobDesc{Digest: j.desc.Digest, MediaType: j.desc.MediaType, Size: j.desc.Size, Repos: []string{pl.named.Name()}}, tarSize); err != nil {
		return err
	}
	pl.p.status(j.id, "Pull complete")
	return nil
}

// applyCompressed decompresses r (gzip, zstd or plain) on one core while
// the snapshotter unpacks on another, and commits layer chainID only if
// the uncompressed stream hashes to diffID. It returns the unpacked size
// and the tar's length.
func applyCompressed(ctx context.Context, s *Service, parent, chainID string, diffID digest.Digest, r io.Reader) (int64, int64, error) {
	dr, err := decompress.Stream(r)
	if err != nil {
		return 0, 0, err
	}
	defer dr.Close()
	dg := digest.SHA256.Digester()
	cnt := &byteCount{w: dg.Hash()}
	bp := newBufPipe(ctx, io.TeeReader(dr, cnt))
	defer bp.Close()
	verify := func() (string, error) {
		if got := dg.Digest(); got != diffID {
			return "", fmt.Errorf("layer %s: diff ID mismatch: got %s, want %s: %w", shortID(diffID), got, diffID, errdefs.ErrDataLoss)
		}
		return chainID, nil
	}
	_, size, err := s.sn.ApplyUnnamedLayer(ctx, parent, bp, verify)
	return size, cnt.n, err
}

// byteCount counts what passes to w.
type byteCount struct {
	w io.Writer
	n int64
}

func (b *byteCount) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	b.n += int64(n)
	return n, err
}
