package native

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/containerd/errdefs"
)

// Diff writes key's changes against parent's tree as a layer tar (the two
// trees compared entry by entry; deletions become whiteouts). skip leaves
// out names (see archive.TarFiltered).
func (s *Snapshotter) Diff(ctx context.Context, key, parent string, w io.Writer, skip func(name string) bool) error {
	rootfs, err := s.rootfs(key)
	if err != nil {
		return err
	}
	base := filepath.Join(s.active, key, "empty-base")
	if parent != "" {
		dir, err := s.layerDir(parent)
		if err != nil {
			return err
		}
		base = filepath.Join(dir, "rootfs")
	}
	return archive.Diff(ctx, base, rootfs, w, skip)
}

// Export writes key's whole filesystem as a tar stream.
func (s *Snapshotter) Export(ctx context.Context, key, parent string, w io.Writer) error {
	rootfs, err := s.rootfs(key)
	if err != nil {
		return err
	}
	return archive.Tar(ctx, rootfs, w)
}

func (s *Snapshotter) rootfs(key string) (string, error) {
	dir, err := s.keyDir(key)
	if err != nil {
		return "", err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if _, err := os.Stat(rootfs); err != nil {
		return "", fmt.Errorf("snapshot %s: %w", key, errdefs.ErrNotFound)
	}
	return rootfs, nil
}
