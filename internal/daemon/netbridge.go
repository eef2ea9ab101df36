package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/berth-engine/berth/internal/network/manager"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	netapi "github.com/moby/moby/api/types/network"
)

// Docker's texts (its runconfig errors) for network connect and
// disconnect across network modes.
const (
	errTextSharedNetwork = "container sharing network namespace with another container or host cannot be connected to any other network"
	errTextHostNetwork   = "container cannot be disconnected from host network or connected to host network"
	errTextNoNetwork     = "container cannot be connected to multiple networks with one of the networks in private (none) mode"
)

// memberNetwork resolves the network of a connect or disconnect: a user
// network, or the default bridge (handled by the manager as a predefined
// member network); host and none are refused with Docker's errors.
func (b networkBackend) memberNetwork(ref string) (*manager.Record, error) {
	for _, n := range b.predefined() {
		if n.Name != ref && n.ID != ref {
			continue
		}
		switch n.Name {
		case "bridge":
			return &manager.Record{ID: n.ID, Name: n.Name, Predefined: true}, nil
		case "host":
			return nil, fmt.Errorf("%s: %w", errTextHostNetwork, errdefs.ErrInvalidArgument)
		}
		return nil, fmt.Errorf("%s: %w", errTextNoNetwork, errdefs.ErrInvalidArgument)
	}
	return b.d.nets.Get(ref)
}

// connectable refuses what Docker refuses: containers without a network
// namespace of their own, and a second endpoint on the default bridge.
func connectable(mode ctr.NetworkMode, name string, r *manager.Record) error {
	switch {
	case mode.IsNone():
		return fmt.Errorf("%s: %w", errTextNoNetwork, errdefs.ErrInvalidArgument)
	case mode.IsHost() || mode.IsContainer():
		return fmt.Errorf("%s: %w", errTextSharedNetwork, errdefs.ErrInvalidArgument)
	case r.Predefined && onDefaultBridge(mode):
		return fmt.Errorf("endpoint with name %s already exists in network %s: %w", name, r.Name, errdefs.ErrConflict)
	}
	return nil
}

func onDefaultBridge(mode ctr.NetworkMode) bool {
	return mode == "" || mode == "default" || mode == "bridge"
}

// disconnectDefault takes a container off the default bridge: one
// connected with network connect leaves it (live when running); one
// started on it is refused while running unless forced, as for user
// networks.
func (b networkBackend) disconnectDefault(ctx context.Context, r *manager.Record, req netapi.DisconnectRequest) error {
	c, err := b.d.containers.Get(req.Container)
	if err != nil {
		return err
	}
	ins := b.d.containers.Inspect(c) // a consistent copy: rename and update race with us
	if onDefaultBridge(ins.HostConfig.NetworkMode) {
		if running := ins.State.Running; running && !req.Force {
			return fmt.Errorf("container %s is started on network %s; it cannot be disconnected while running: %w", strings.TrimPrefix(ins.Name, "/"), r.Name, errdefs.ErrConflict)
		} else if running {
			if err := b.d.network.Leave(ctx, c.ID); err != nil {
				return err
			}
		}
	} else if err := b.d.nets.Disconnect(ctx, r.ID, c.ID); err != nil {
		return err
	}
	b.emit(events.ActionDisconnect, r.ID, r.Name, c.ID)
	return nil
}

// defaultSubnet6 is the default bridge's IPv6 subnet: "" without --ipv6,
// else --fixed-cidr-v6 or a ULA /64 (fdXX:XXXX:XXXX::/64) derived from
// the data root and bridge name, stable across restarts.
func defaultSubnet6(cfg Config) string {
	if !cfg.IPv6 {
		return ""
	}
	if cfg.FixedCIDRv6 != "" {
		return cfg.FixedCIDRv6
	}
	sum := sha256.Sum256([]byte("berth-bridge-v6:" + cfg.DataRoot + ":" + cfg.Bridge))
	h := hex.EncodeToString(sum[:])
	return fmt.Sprintf("fd%s:%s:%s::/64", h[0:2], h[2:6], h[6:10])
}
