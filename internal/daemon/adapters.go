package daemon

import (
	"context"
	"fmt"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/network/bridge"
	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/berth-engine/berth/internal/snapshot/native"
	"github.com/berth-engine/berth/internal/snapshot/overlay"
	"github.com/containerd/errdefs"
	"path/filepath"
)

// netAdapter presents the bridge driver as the container service's
// Networker.
type netAdapter struct{ n *bridge.Network }

func (a netAdapter) Attach(ctx context.Context, id string) (*container.Endpoint, error) {
	ep, err := a.n.Attach(ctx, id)
	if err != nil {
		return nil, err
	}
	return &container.Endpoint{
		Bridge: a.n.Name(), NetNSPath: ep.NetNSPath, IP: ep.IP.String(), PrefixLen: ep.PrefixLen,
		Gateway: ep.Gateway.String(), MAC: ep.MAC.String(),
	}, nil
}

func (a netAdapter) Detach(ctx context.Context, id string) error { return a.n.Detach(ctx, id) }

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
