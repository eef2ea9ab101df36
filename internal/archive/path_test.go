package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestTarPath(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "data")
	mustTP(t, os.MkdirAll(filepath.Join(src, "sub"), 0o750))
	mustTP(t, os.WriteFile(filepath.Join(src, "sub", "f"), []byte("hi"), 0o640))
	mustTP(t, os.Symlink("sub/f", filepath.Join(src, "link")))
	mustTP(t, os.Symlink("/etc/passwd", filepath.Join(dir, "abs")))
	tests := []struct {
		src  string
		want []string
	}{
		{src, []string{"data/", "data/link", "data/sub/", "data/sub/f"}},
		{filepath.Join(src, "sub", "f"), []string{"f"}},
		{filepath.Join(dir, "abs"), []string{"abs"}}, // the link itself, not /etc/passwd
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := TarPath(context.Background(), tt.src, &buf); err != nil {
			t.Fatal(err)
		}
		var names []string
		tr := tar.NewReader(&buf)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, hdr.Name)
			if hdr.Name == "data/sub/f" && hdr.Mode&0o777 != 0o640 {
				t.Errorf("mode %o", hdr.Mode)
			}
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.src, names, tt.want)
		}
	}
}

func mustTP(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
