package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func TestIngest(t *testing.T) {
	ctx := context.Background()
	data := []byte("hello blob")
	good := digest.FromBytes(data)
	tests := []struct {
		name     string
		expected digest.Digest
		wantErr  error
	}{
		{"no expectation", "", nil},
		{"matching", good, nil},
		{"mismatch", digest.FromString("other"), errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, root := newStore(t)
			d, n, err := s.Ingest(ctx, bytes.NewReader(data), tt.expected)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if ents, _ := os.ReadDir(filepath.Join(root, "ingest")); len(ents) != 0 {
				t.Errorf("ingest dir not empty: %v", ents)
			}
			if tt.wantErr != nil {
				if _, err := s.Size(ctx, good); !errors.Is(err, errdefs.ErrNotFound) {
					t.Errorf("blob stored after mismatch: %v", err)
				}
				return
			}
			if d != good || n != int64(len(data)) {
				t.Errorf("got %s %d", d, n)
			}
			got, err := s.ReadBlob(ctx, d)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("ReadBlob = %q, %v", got, err)
			}
			if _, _, err := s.Ingest(ctx, bytes.NewReader(data), good); err != nil {
				t.Errorf("second ingest: %v", err)
			}
		})
	}
}

func TestNotFoundAndDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	d := digest.FromString("absent")
	if _, err := s.Open(ctx, d); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Open: %v", err)
	}
	if _, err := s.ReadBlob(ctx, d); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("ReadBlob: %v", err)
	}
	if err := s.Delete(ctx, d); err != nil {
		t.Errorf("Delete absent: %v", err)
	}
	if _, err := s.Open(ctx, "sha256:../../etc/passwd"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Open invalid digest: %v", err)
	}
	got, _, err := s.Ingest(ctx, strings.NewReader("x"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Size(ctx, got); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Size after delete: %v", err)
	}
}

func TestWriterAbortAndWalk(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("partial"))
	w.Close()
	for _, b := range []string{"a", "bb"} {
		if _, _, err := s.Ingest(ctx, strings.NewReader(b), ""); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "blobs", "sha256", "junk"), nil, 0o600)
	os.WriteFile(filepath.Join(root, "ingest", "stale"), nil, 0o600)
	seen := map[digest.Digest]int64{}
	if err := s.Walk(ctx, func(d digest.Digest, size int64) error { seen[d] = size; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[digest.FromString("bb")] != 2 {
		t.Errorf("Walk saw %v", seen)
	}
	if _, err := New(root); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "ingest")); len(ents) != 0 {
		t.Errorf("New left ingest entries: %v", ents)
	}
}
