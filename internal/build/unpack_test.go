package build

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"golang.org/x/sys/unix"
)

func tarWith(t *testing.T, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
	_, _ = tw.Write(bytes.Repeat([]byte("x"), size))
	_ = tw.Close()
	return buf.Bytes()
}

// TestUnpackMemoryAndSpill: a context that fits goes to the memory root; one
// that does not spills to disk with every byte intact.
func TestUnpackMemoryAndSpill(t *testing.T) {
	testutil.RequiresRoot(t)
	root := t.TempDir()
	mem := filepath.Join(root, "mem")
	if err := os.Mkdir(mem, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mem, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mem, unix.MNT_DETACH) })
	b := New(nil, nil, filepath.Join(root, "build"), WithMemoryContexts(mem))
	_ = os.MkdirAll(b.tmp, 0o700)
	cases := []struct {
		size  int
		inMem bool
	}{{1 << 10, true}, {2 << 20, false}}
	for _, tc := range cases {
		dir, err := b.unpack(context.Background(), bytes.NewReader(tarWith(t, "f", tc.size)))
		if err != nil {
			t.Fatalf("size %d: %v", tc.size, err)
		}
		if got := strings.HasPrefix(dir, mem+"/"); got != tc.inMem {
			t.Errorf("size %d unpacked in %s (in memory: %v)", tc.size, dir, got)
		}
		if fi, err := os.Stat(filepath.Join(dir, "f")); err != nil || fi.Size() != int64(tc.size) {
			t.Errorf("size %d: file %v %v", tc.size, fi, err)
		}
		os.RemoveAll(dir)
		if ents, _ := os.ReadDir(mem); len(ents) != 0 {
			t.Errorf("size %d: memory root not cleaned: %v", tc.size, ents)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(b.tmp, "*.tar")); len(ents) != 0 {
		t.Errorf("spool files left: %v", ents)
	}
}
