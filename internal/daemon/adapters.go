package daemon

import (
	"fmt"

	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/berth-engine/berth/internal/snapshot/native"
	"github.com/berth-engine/berth/internal/snapshot/overlay"
	"github.com/containerd/errdefs"
	"path/filepath"
)

// newSnapshotter picks overlay when the kernel and filesystem support it,
// the copying native driver otherwise (or when asked).
func newSnapshotter(cfg Config) (snapshot.Snapshotter, error) {
	active := filepath.Join(cfg.DataRoot, "containers")
	switch cfg.StorageDriver {
	case "", "overlay2", "overlay":
		root := filepath.Join(cfg.DataRoot, "layers", "overlay2")
		err := overlay.Supported(cfg.DataRoot)
		if err == nil {
			return overlay.New(root, active)
		}
		if cfg.StorageDriver != "" {
			return nil, fmt.Errorf("storage driver overlay2 is not supported here: %w", err)
		}
		fallthrough
	case "native", "vfs":
		return native.New(filepath.Join(cfg.DataRoot, "layers", "native"), active)
	default:
		return nil, fmt.Errorf("unknown storage driver %q (overlay2, native): %w", cfg.StorageDriver, errdefs.ErrInvalidArgument)
	}
}
