package bridge

import (
	"fmt"
	"net"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
)

// subnetCandidates are tried in order: 172.18–31.0.0/16 (172.17 is
// docker0's), then 192.168.0–255.0/24.
func subnetCandidates() []*net.IPNet {
	var c []*net.IPNet
	for b := 18; b <= 31; b++ {
		c = append(c, &net.IPNet{IP: net.IPv4(172, byte(b), 0, 0).To4(), Mask: net.CIDRMask(16, 32)})
	}
	for b := 0; b <= 255; b++ {
		c = append(c, &net.IPNet{IP: net.IPv4(192, 168, byte(b), 0).To4(), Mask: net.CIDRMask(24, 32)})
	}
	return c
}

// pickSubnet returns the first candidate overlapping none of occupied.
func pickSubnet(occupied []*net.IPNet) (*net.IPNet, error) {
	for _, c := range subnetCandidates() {
		if !overlapsAny(c, occupied) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no free subnet for the default bridge: %w", errdefs.ErrUnavailable)
}

func overlapsAny(n *net.IPNet, others []*net.IPNet) bool {
	for _, o := range others {
		if n.Contains(o.IP) || o.Contains(n.IP) {
			return true
		}
	}
	return false
}

// hostNetworks lists every IPv4 network in use on the host: the networks
// of all addresses and the destinations of all routes in all tables except
// default routes (a default route overlaps everything and rules nothing out).
func hostNetworks(h *netlink.Handle) ([]*net.IPNet, error) {
	var out []*net.IPNet
	addrs, err := h.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list host addresses: %w", err)
	}
	for _, a := range addrs {
		out = append(out, &net.IPNet{IP: a.IP.Mask(a.Mask), Mask: a.Mask})
	}
	routes, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: 0}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list host routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || isDefault(r.Dst) {
			continue
		}
		out = append(out, r.Dst)
	}
	return out, nil
}

func isDefault(n *net.IPNet) bool {
	ones, _ := n.Mask.Size()
	return ones == 0
}

// FreeSubnet returns the first candidate subnet (172.18–31.0.0/16, then
// 192.168.x.0/24) that overlaps neither the host's addresses and routes
// nor any of taken.
func FreeSubnet(taken []*net.IPNet) (*net.IPNet, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	defer h.Close()
	occupied, err := hostNetworks(h)
	if err != nil {
		return nil, err
	}
	return pickSubnet(append(occupied, taken...))
}

// Overlaps reports whether subnet overlaps one of others.
func Overlaps(subnet *net.IPNet, others []*net.IPNet) bool { return overlapsAny(subnet, others) }

// HostNetworks lists the IPv4 networks of the host's addresses and routes
// (default routes excluded).
func HostNetworks() ([]*net.IPNet, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	defer h.Close()
	return hostNetworks(h)
}
