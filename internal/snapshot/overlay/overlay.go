// Package overlay is the overlayfs snapshotter. Layout:
//
//	<layersRoot>/<chain-hex>/diff    the layer's files, overlay whiteouts included
//	<layersRoot>/<chain-hex>/parent  the parent's chain ID (absent for a base layer)
//	<layersRoot>/<chain-hex>/link    the layer's short link name
//	<layersRoot>/l/<short>           symlink -> ../<chain-hex>/diff
//	<layersRoot>/.tmp-*              layers being unpacked (removed by New)
//	<activeRoot>/<key>/{upper,work,rootfs}  a container's writable snapshot
//
// Mounts name lower layers by their short links so that long chains fit in
// the one-page mount data; past that the new mount API adds each lower
// directory separately ("lowerdir+", Linux 6.8+). It imports
// internal/archive and internal/snapshot only.
package overlay

import (
	"context"
	"crypto/rand"
	"encoding/base32"
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

const (
	linkDir  = "l"
	tmpPfx   = ".tmp-"
	maxDepth = 500 // overlayfs' limit on lower layers
)

// Snapshotter stores layers as overlay diff directories.
type Snapshotter struct {
	layers string
	active string
}

var _ snapshot.Snapshotter = (*Snapshotter)(nil)

// New creates the directories and removes what an interrupted run left:
// half-unpacked layers and links to layers that no longer exist.
func New(layersRoot, activeRoot string) (*Snapshotter, error) {
	s := &Snapshotter{layers: layersRoot, active: activeRoot}
	for _, d := range []string{filepath.Join(layersRoot, linkDir), activeRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := s.cleanup(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Snapshotter) cleanup() error {
	entries, err := os.ReadDir(s.layers)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPfx) {
			if err := os.RemoveAll(filepath.Join(s.layers, e.Name())); err != nil {
				return err
			}
		}
	}
	links, err := os.ReadDir(filepath.Join(s.layers, linkDir))
	if err != nil {
		return err
	}
	for _, l := range links {
		p := filepath.Join(s.layers, linkDir, l.Name())
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			os.Remove(p)
		}
	}
	return nil
}

// Name returns "overlay2", the name Docker shows for this driver.
func (s *Snapshotter) Name() string { return "overlay2" }

func (s *Snapshotter) layerDir(chainID string) (string, error) {
	return snapshot.LayerDir(s.layers, chainID)
}

// HasLayer reports whether chainID is committed.
func (s *Snapshotter) HasLayer(ctx context.Context, chainID string) bool {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "diff"))
	return err == nil
}

// ApplyLayer unpacks r as layer chainID over parent.
func (s *Snapshotter) ApplyLayer(ctx context.Context, chainID, parent string, r io.Reader) (int64, error) {
	return snapshot.ApplyNamed(ctx, s, chainID, parent, r)
}

// ApplyUnnamedLayer unpacks r over parent and commits it under name().
func (s *Snapshotter) ApplyUnnamedLayer(ctx context.Context, parent string, r io.Reader, name func() (string, error)) (string, int64, error) {
	if parent != "" && !s.HasLayer(ctx, parent) {
		return "", 0, fmt.Errorf("parent layer %s: %w", parent, errdefs.ErrNotFound)
	}
	tmp, err := os.MkdirTemp(s.layers, tmpPfx)
	if err != nil {
		return "", 0, err
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	if err := os.Mkdir(filepath.Join(tmp, "diff"), 0o755); err != nil {
		return "", 0, err
	}
	size, err := archive.Apply(ctx, filepath.Join(tmp, "diff"), r, archive.ApplyOptions{Whiteouts: archive.WhiteoutOverlay})
	if err != nil {
		return "", 0, err
	}
	chainID, err := name()
	if err != nil {
		return "", 0, err
	}
	return chainID, size, s.commit(ctx, tmp, chainID, parent)
}

// commit names the unpacked layer in tmp: parent file, short link, rename.
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
	link, err := s.makeLink(filepath.Base(dir))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "link"), []byte(link), 0o600); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Remove(filepath.Join(s.layers, linkDir, link))
		if errors.Is(err, fs.ErrExist) || errors.Is(err, unixENOTEMPTY) {
			return fmt.Errorf("layer %s: %w", chainID, errdefs.ErrAlreadyExists)
		}
		return err
	}
	return syncDir(s.layers)
}

// makeLink creates l/<random> -> ../<hex>/diff (dangling until the rename).
func (s *Snapshotter) makeLink(hex string) (string, error) {
	for {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		name := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:shortLen]
		err := os.Symlink(filepath.Join("..", hex, "diff"), filepath.Join(s.layers, linkDir, name))
		if !errors.Is(err, fs.ErrExist) {
			return name, err
		}
	}
}

// RemoveLayer deletes chainID's directory and short link.
func (s *Snapshotter) RemoveLayer(ctx context.Context, chainID string) error {
	dir, err := s.layerDir(chainID)
	if err != nil {
		return err
	}
	if link, err := os.ReadFile(filepath.Join(dir, "link")); err == nil && validLink(string(link)) {
		if err := os.Remove(filepath.Join(s.layers, linkDir, string(link))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	// Rename first so a crash never leaves a half-deleted layer under its name.
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
