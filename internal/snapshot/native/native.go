// Package native is the copying snapshotter, for filesystems where
// overlayfs is not available. Every layer is a complete tree: a copy of its
// parent with the layer's diff applied (whiteouts become deletions), and a
// container's rootfs is a full copy of its image's top layer. Layout:
//
//	<layersRoot>/<chain-hex>/rootfs  the complete tree up to this layer
//	<layersRoot>/<chain-hex>/parent  the parent's chain ID (absent for a base layer)
//	<layersRoot>/.tmp-*              layers being built (removed by New)
//	<activeRoot>/<key>/rootfs        a container's root filesystem
//
// It imports internal/archive and internal/snapshot only.
package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/containerd/errdefs"
)

const tmpPfx = ".tmp-"

// Snapshotter stores layers and snapshots as plain directory trees.
type Snapshotter struct {
	layers string
	active string
}

var _ snapshot.Snapshotter = (*Snapshotter)(nil)

// New creates the directories and removes half-built layers.
func New(layersRoot, activeRoot string) (*Snapshotter, error) {
	for _, d := range []string{layersRoot, activeRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(layersRoot)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPfx) {
			if err := os.RemoveAll(filepath.Join(layersRoot, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	return &Snapshotter{layers: layersRoot, active: activeRoot}, nil
}

// Name returns "native".
func (s *Snapshotter) Name() string { return "native" }

func (s *Snapshotter) layerDir(chainID string) (string, error) {
	return snapshot.LayerDir(s.layers, chainID)
}

// HasLayer reports whether chainID is committed.
func (s *Snapshotter) HasLayer(ctx context.Context, chainID string) bool {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "rootfs"))
	return err == nil
}

// ApplyLayer builds layer chainID: a copy of parent plus r.
func (s *Snapshotter) ApplyLayer(ctx context.Context, chainID, parent string, r io.Reader) (int64, error) {
	return snapshot.ApplyNamed(ctx, s, chainID, parent, r)
}

// ApplyUnnamedLayer builds a layer over parent from r and commits it under name().
func (s *Snapshotter) ApplyUnnamedLayer(ctx context.Context, parent string, r io.Reader, name func() (string, error)) (string, int64, error) {
	tmp, err := os.MkdirTemp(s.layers, tmpPfx)
	if err != nil {
		return "", 0, err
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	rootfs := filepath.Join(tmp, "rootfs")
	if err := s.copyLayer(ctx, parent, rootfs); err != nil {
		return "", 0, err
	}
	size, err := archive.Apply(ctx, rootfs, r, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply})
	if err != nil {
		return "", 0, err
	}
	chainID, err := name()
	if err != nil {
		return "", 0, err
	}
	return chainID, size, s.commit(ctx, tmp, chainID, parent)
}

// copyLayer copies parent's tree to dst, or makes dst empty for "".
func (s *Snapshotter) copyLayer(ctx context.Context, parent, dst string) error {
	if parent == "" {
		return os.Mkdir(dst, 0o755)
	}
	dir, err := s.layerDir(parent)
	if err != nil {
		return err
	}
	if !s.HasLayer(ctx, parent) {
		return fmt.Errorf("parent layer %s: %w", parent, errdefs.ErrNotFound)
	}
	return copyTree(ctx, filepath.Join(dir, "rootfs"), dst)
}

func (s *Snapshotter) commit(ctx context.Context, tmp, chainID, parent string) error {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return err
	}
	if s.HasLayer(ctx, chainID) {
		return fmt.Errorf("layer %s: %w", chainID, errdefs.ErrAlreadyExists)
	}
	if parent != "" {
		if err := os.WriteFile(filepath.Join(tmp, "parent"), []byte(parent), 0o600); err != nil {
			return err
		}
	}
	if err := syncFS(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if errors.Is(err, fs.ErrExist) || s.HasLayer(ctx, chainID) {
			return fmt.Errorf("layer %s: %w", chainID, errdefs.ErrAlreadyExists)
		}
		return err
	}
	return nil
}

// RemoveLayer deletes chainID's tree (renamed away first, so a crash never
// leaves a half-deleted layer under its name).
func (s *Snapshotter) RemoveLayer(ctx context.Context, chainID string) error {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return err
	}
	trash, err := os.MkdirTemp(s.layers, tmpPfx)
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(trash, "layer")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.Remove(trash)
		return err
	}
	return os.RemoveAll(trash)
}

// Layers lists the committed chain IDs.
func (s *Snapshotter) Layers(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.layers)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		id := "sha256:" + e.Name()
		if _, err := snapshot.ChainHex(id); err == nil && e.IsDir() {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (s *Snapshotter) keyDir(key string) (string, error) {
	if err := snapshot.ValidKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.active, key), nil
}

// Prepare copies parent's tree into <activeRoot>/<key>/rootfs.
func (s *Snapshotter) Prepare(ctx context.Context, key, parent string) (string, error) {
	dir, err := s.keyDir(key)
	if err != nil {
		return "", err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if _, err := os.Lstat(rootfs); err == nil {
		return "", fmt.Errorf("snapshot %s: %w", key, errdefs.ErrAlreadyExists)
	}
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return "", err
	}
	if err := s.copyLayer(ctx, parent, rootfs); err != nil {
		os.RemoveAll(rootfs)
		return "", err
	}
	return rootfs, nil
}

// Mount returns key's rootfs; a copy needs no mounting.
func (s *Snapshotter) Mount(ctx context.Context, key, parent string) (string, error) {
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

// Unmount is a no-op.
func (s *Snapshotter) Unmount(ctx context.Context, key string) error {
	_, err := s.keyDir(key)
	return err
}

// Remove deletes key's rootfs; the key directory belongs to the caller.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	dir, err := s.keyDir(key)
	if err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, "rootfs"))
}

// DriverData returns the GraphDriver data for an image whose top layer is chainID.
func (s *Snapshotter) DriverData(chainID string) map[string]string {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return nil
	}
	return map[string]string{"RootDir": filepath.Join(dir, "rootfs")}
}
