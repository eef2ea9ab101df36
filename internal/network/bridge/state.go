package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
)

// stateVersion is the version of the state file format.
const stateVersion = 1

// state is the JSON state file: {"version":1,"bridge":"berth0","subnet":"172.18.0.0/16"}.
type state struct {
	Version int    `json:"version"`
	Bridge  string `json:"bridge"`
	Subnet  string `json:"subnet"`
}

// chooseSubnet: the configured one, else the remembered one, else the
// subnet already on the bridge, else the first free candidate.
func chooseSubnet(cfg Config, h *netlink.Handle) (*net.IPNet, error) {
	if cfg.Subnet != "" {
		return parseSubnet(cfg.Subnet)
	}
	if s, err := loadState(cfg.StateFile); err != nil {
		return nil, err
	} else if s != nil {
		return parseSubnet(s.Subnet)
	}
	if n := bridgeSubnet(h, cfg.BridgeName); n != nil {
		return n, nil
	}
	occupied, err := hostNetworks(h)
	if err != nil {
		return nil, err
	}
	return pickSubnet(occupied)
}

func parseSubnet(s string) (*net.IPNet, error) {
	_, n, err := net.ParseCIDR(s)
	if err != nil || n.IP.To4() == nil {
		return nil, fmt.Errorf("bridge subnet %q: not an IPv4 CIDR: %w", s, errdefs.ErrInvalidArgument)
	}
	if ones, _ := n.Mask.Size(); ones > 30 {
		return nil, fmt.Errorf("bridge subnet %q: too small: %w", s, errdefs.ErrInvalidArgument)
	}
	n.IP = n.IP.To4()
	return n, nil
}

func bridgeSubnet(h *netlink.Handle, name string) *net.IPNet {
	link, err := h.LinkByName(name)
	if err != nil {
		return nil
	}
	addrs, err := h.AddrList(link, netlink.FAMILY_V4)
	if err != nil || len(addrs) == 0 {
		return nil
	}
	a := addrs[0].IPNet
	return &net.IPNet{IP: a.IP.Mask(a.Mask).To4(), Mask: a.Mask}
}

func loadState(path string) (*state, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bridge state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil || s.Version > stateVersion || s.Subnet == "" {
		return nil, fmt.Errorf("bridge state %s unreadable (version %d): %v: %w", path, s.Version, err, errdefs.ErrDataLoss)
	}
	return &s, nil
}

func saveState(path, bridge string, subnet *net.IPNet) error {
	if path == "" {
		return nil
	}
	if s, _ := loadState(path); s != nil && s.Subnet == subnet.String() && s.Bridge == bridge {
		return nil
	}
	if err := atomicfile.WriteJSON(path, state{Version: stateVersion, Bridge: bridge, Subnet: subnet.String()}, 0o644); err != nil {
		return fmt.Errorf("bridge state: %w", err)
	}
	return nil
}

// firstHost is the .1 of a subnet, the gateway.
func firstHost(n *net.IPNet) net.IP { return uintToIP4(ip4ToUint(n.IP) + 1) }

// macFor derives a MAC from an IPv4 address the way Docker does: 02:42:a:b:c:d.
func macFor(ip net.IP) net.HardwareAddr {
	v4 := ip.To4()
	return net.HardwareAddr{0x02, 0x42, v4[0], v4[1], v4[2], v4[3]}
}
