package native

import (
	"path/filepath"
	"testing"

	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/berth-engine/berth/internal/snapshot/snapshottest"
	"github.com/berth-engine/berth/internal/testutil"
)

func TestConformance(t *testing.T) {
	testutil.RequiresRoot(t)
	snapshottest.Run(t, func(t *testing.T) snapshot.Snapshotter {
		root := t.TempDir()
		s, err := New(filepath.Join(root, "layers"), filepath.Join(root, "containers"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
