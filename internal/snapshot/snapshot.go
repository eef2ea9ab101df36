// Package snapshot defines how Berth stores image layers and container
// root filesystems: committed read-only layers identified by OCI chain ID,
// and writable active snapshots, one per container. Implementations live
// in snapshot/overlay (overlayfs, the default) and snapshot/native (plain
// copies, for filesystems overlayfs cannot use); snapshot/snapshottest is
// the conformance suite both pass.
//
// This package imports no other Berth package except internal/archive (in
// implementations).
package snapshot

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Snapshotter manages layers and the writable snapshots built on them.
//
// Lifecycle: an image's layers are committed bottom up with ApplyLayer,
// each naming its parent's chain ID ("" for the base layer). A committed
// layer is immutable and shared by every image whose chain contains it;
// HasLayer lets a puller skip layers it already has. Creating a container
// calls Prepare(key, topChainID), which creates <activeRoot>/<key>/ with
// upper/, work/ and rootfs/ and mounts a writable view of the chain at
// rootfs/ (the key directory itself belongs to the caller, who may keep
// other files in it). Writes land in the snapshot, never in the layers.
// After a host reboot the daemon calls Mount again for each container that
// is to run; Unmount releases the mount when the container stops, and
// Remove deletes the writable snapshot when the container is removed.
// RemoveLayer deletes a layer once no image refers to it; Layers lists
// committed layers so the daemon can collect what no image references.
type Snapshotter interface {
	// ApplyLayer unpacks the uncompressed layer tar r on top of parent ("" =
	// base) as committed layer chainID, atomically (unpack into a temp dir,
	// rename at the end). errdefs.ErrAlreadyExists if it exists (r untouched);
	// errdefs.ErrNotFound if parent is missing.
	ApplyLayer(ctx context.Context, chainID, parent string, r io.Reader) (size int64, err error)
	// ApplyUnnamedLayer is ApplyLayer for a layer whose chain ID is known
	// only once r has been read to EOF (import and commit hash the diff ID
	// while unpacking). name is called after r is exhausted and returns the
	// chain ID. If that layer already exists the unpacked copy is discarded
	// and the error is errdefs.ErrAlreadyExists, with chainID and size set.
	ApplyUnnamedLayer(ctx context.Context, parent string, r io.Reader, name func() (string, error)) (chainID string, size int64, err error)
	HasLayer(ctx context.Context, chainID string) bool
	// RemoveLayer deletes a committed layer; removing an absent layer is not an error.
	RemoveLayer(ctx context.Context, chainID string) error
	// Prepare creates the writable layer for key over parent ("" = empty
	// rootfs) and mounts it; returns the rootfs path.
	// errdefs.ErrAlreadyExists if key already has a snapshot.
	Prepare(ctx context.Context, key, parent string) (rootfs string, err error)
	// Mount re-mounts an existing active snapshot (idempotent: already
	// mounted -> ok), e.g. after a host reboot.
	Mount(ctx context.Context, key, parent string) (rootfs string, err error)
	// Unmount unmounts key's rootfs (idempotent, lazy-detach fallback if busy).
	Unmount(ctx context.Context, key string) error
	// Remove unmounts and deletes key's upper/work/rootfs (idempotent).
	Remove(ctx context.Context, key string) error
	// Layers lists committed chain IDs (for garbage collection at start).
	Layers(ctx context.Context) ([]string, error)
	// Name is the driver name shown by docker info and GraphDriver.Name.
	Name() string
}

// ChainHex validates a chain ID ("sha256:<hex>") and returns its hex part,
// used as the layer's directory name.
func ChainHex(chainID string) (string, error) {
	d, err := digest.Parse(chainID)
	if err != nil || d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("chain ID %q: %w", chainID, errdefs.ErrInvalidArgument)
	}
	return d.Encoded(), nil
}

// ValidKey rejects snapshot keys that are not a single plain path element.
func ValidKey(key string) error {
	if key == "" || key == "." || key == ".." || len(key) > 255 {
		return fmt.Errorf("snapshot key %q: %w", key, errdefs.ErrInvalidArgument)
	}
	for _, c := range key {
		if c == '/' || c == 0 {
			return fmt.Errorf("snapshot key %q: %w", key, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// LayerDir is where a driver keeps committed layer chainID: <root>/<hex>.
func LayerDir(root, chainID string) (string, error) {
	hex, err := ChainHex(chainID)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, hex), nil
}

// unnamedApplier is what ApplyNamed needs of a driver.
type unnamedApplier interface {
	HasLayer(ctx context.Context, chainID string) bool
	ApplyUnnamedLayer(ctx context.Context, parent string, r io.Reader, name func() (string, error)) (string, int64, error)
}

// ApplyNamed is ApplyLayer for drivers that unpack first and name the
// layer at commit: it refuses an existing chainID without reading r.
func ApplyNamed(ctx context.Context, s unnamedApplier, chainID, parent string, r io.Reader) (int64, error) {
	if _, err := ChainHex(chainID); err != nil {
		return 0, err
	}
	if s.HasLayer(ctx, chainID) {
		return 0, fmt.Errorf("layer %s: %w", chainID, errdefs.ErrAlreadyExists)
	}
	_, size, err := s.ApplyUnnamedLayer(ctx, parent, r, func() (string, error) { return chainID, nil })
	return size, err
}
