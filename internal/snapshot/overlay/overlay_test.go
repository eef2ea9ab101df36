package overlay

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/berth-engine/berth/internal/snapshot/snapshottest"
	"github.com/berth-engine/berth/internal/testutil"
	digest "github.com/opencontainers/go-digest"
)

func newTestSnapshotter(t *testing.T) *Snapshotter {
	t.Helper()
	root := t.TempDir()
	if err := Supported(root); err != nil {
		t.Skip(err)
	}
	s, err := New(filepath.Join(root, "layers"), filepath.Join(root, "containers"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	testutil.RequiresRoot(t)
	snapshottest.Run(t, func(t *testing.T) snapshot.Snapshotter { return newTestSnapshotter(t) })
}

// TestLongChain mounts a chain deeper than one page of mount options allows.
func TestLongChain(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	s := newTestSnapshotter(t)
	const depth = 130
	parent := ""
	for i := 0; i < depth; i++ {
		data := snapshottest.Tar(t, snapshottest.Entry{Name: fmt.Sprintf("f%03d", i), Body: fmt.Sprint(i)})
		id := digest.FromString(parent + " " + snapshottest.ChainID(data)).String()
		if _, err := s.ApplyLayer(ctx, id, parent, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		parent = id
	}
	rootfs, err := s.Prepare(ctx, "long", parent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Remove(ctx, "long") })
	for _, i := range []int{0, depth / 2, depth - 1} {
		b, err := os.ReadFile(filepath.Join(rootfs, fmt.Sprintf("f%03d", i)))
		if err != nil || string(b) != fmt.Sprint(i) {
			t.Errorf("f%03d = %q, %v", i, b, err)
		}
	}
}

func TestNewCleansStaleState(t *testing.T) {
	testutil.RequiresRoot(t)
	root := t.TempDir()
	layers := filepath.Join(root, "layers")
	s, err := New(layers, filepath.Join(root, "c"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(layers, tmpPfx+"x", "diff"), 0o755)
	os.Symlink("../gone/diff", filepath.Join(layers, linkDir, "DANGLING"))
	if _, err := New(layers, filepath.Join(root, "c")); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(layers)
	links, _ := os.ReadDir(filepath.Join(layers, linkDir))
	if len(ents) != 1 || len(links) != 0 {
		t.Errorf("left: %v %v", ents, links)
	}
	_ = s
}
