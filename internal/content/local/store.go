// Package local stores content-addressed blobs in a directory:
// <root>/blobs/sha256/<hex> for committed blobs and <root>/ingest/ for
// writes in progress (emptied by New, since nothing can resume them).
// A commit is temp file + fsync + rename + directory fsync, the same
// protocol as internal/atomicfile but streamed. It imports no other Berth package.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Store is a content-addressed blob store rooted at a directory. It is safe
// for concurrent use: writers never share temp files and commits are renames.
type Store struct {
	root string
}

// New opens (creating if needed) the store at root and discards
// abandoned ingests.
func New(root string) (*Store, error) {
	s := &Store{root: root}
	if err := os.RemoveAll(s.ingestDir()); err != nil {
		return nil, fmt.Errorf("clean ingest: %w", err)
	}
	for _, d := range []string{s.blobDir(), s.ingestDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) blobDir() string   { return filepath.Join(s.root, "blobs", string(digest.SHA256)) }
func (s *Store) ingestDir() string { return filepath.Join(s.root, "ingest") }

// blobPath validates d and returns where its blob lives.
func (s *Store) blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %v: %w", d, err, errdefs.ErrInvalidArgument)
	}
	if d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("digest %q: only sha256 is supported: %w", d, errdefs.ErrNotImplemented)
	}
	return filepath.Join(s.blobDir(), d.Encoded()), nil
}

// Ingest streams r into the store and returns its digest and size. When
// expected is set and differs, nothing is stored and the error is
// errdefs.ErrInvalidArgument. Ingesting a blob already present is a no-op.
func (s *Store) Ingest(ctx context.Context, r io.Reader, expected digest.Digest) (digest.Digest, int64, error) {
	w, err := s.Writer(ctx)
	if err != nil {
		return "", 0, err
	}
	defer w.Close()
	if _, err := io.Copy(w, ctxReader{ctx: ctx, r: r}); err != nil {
		return "", 0, fmt.Errorf("ingest: %w", err)
	}
	if err := w.Commit(ctx, expected); err != nil {
		return "", 0, err
	}
	return w.Digest(), w.Size(), nil
}

// Open opens the blob d for reading; errdefs.ErrNotFound when absent.
func (s *Store) Open(ctx context.Context, d digest.Digest) (*os.File, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	return f, err
}

// ReadBlob returns the whole blob d (meant for small blobs: configs,
// manifests).
func (s *Store) ReadBlob(ctx context.Context, d digest.Digest) ([]byte, error) {
	f, err := s.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Size returns the size of blob d; errdefs.ErrNotFound when absent.
func (s *Store) Size(ctx context.Context, d digest.Digest) (int64, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Delete removes blob d; deleting an absent blob is not an error.
func (s *Store) Delete(ctx context.Context, d digest.Digest) error {
	p, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Walk calls fn for every committed blob, in digest order. Files that are
// not named by a valid digest are skipped.
func (s *Store) Walk(ctx context.Context, fn func(d digest.Digest, size int64) error) error {
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() != nil || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		if err := fn(d, info.Size()); err != nil {
			return err
		}
	}
	return nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
