package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Writer streams one blob into the store. Write the bytes, then Commit;
// Close aborts an uncommitted writer and removes its temp file.
type Writer struct {
	s         *Store
	f         *os.File
	dg        digest.Digester
	size      int64
	committed bool
}

// Writer starts a new blob write in the ingest directory.
func (s *Store) Writer(ctx context.Context) (*Writer, error) {
	f, err := os.CreateTemp(s.ingestDir(), "blob-*")
	if err != nil {
		return nil, err
	}
	return &Writer{s: s, f: f, dg: digest.SHA256.Digester()}, nil
}

// Write appends p to the blob.
func (w *Writer) Write(p []byte) (int, error) {
	if w.committed {
		return 0, fmt.Errorf("write after commit: %w", errdefs.ErrFailedPrecondition)
	}
	n, err := w.f.Write(p)
	w.dg.Hash().Write(p[:n])
	w.size += int64(n)
	return n, err
}

// Digest returns the digest of the bytes written so far.
func (w *Writer) Digest() digest.Digest { return w.dg.Digest() }

// Size returns the number of bytes written so far.
func (w *Writer) Size() int64 { return w.size }

// Commit verifies the digest against expected (when set) and moves the blob
// into place. A blob already present is kept as is. On a mismatch nothing
// is stored and the error is errdefs.ErrInvalidArgument.
func (w *Writer) Commit(ctx context.Context, expected digest.Digest) error {
	if w.committed {
		return nil
	}
	d := w.Digest()
	if expected != "" && expected != d {
		return fmt.Errorf("digest mismatch: expected %s, got %s: %w", expected, d, errdefs.ErrInvalidArgument)
	}
	target, err := w.s.blobPath(d)
	if err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Chmod(0o444); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), target); err != nil {
		return fmt.Errorf("commit blob %s: %w", d, err)
	}
	w.committed = true
	return syncDir(filepath.Dir(target))
}

// Close aborts the write unless it was committed.
func (w *Writer) Close() error {
	if w.committed {
		return nil
	}
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
