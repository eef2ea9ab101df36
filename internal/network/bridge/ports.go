package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/nftables/expr"
)

// PortMapping is one published port: connections to HostIP:HostPort
// (every host address when HostIP is nil or 0.0.0.0) are DNATed to the
// container's address on ContainerPort.
type PortMapping struct {
	Proto         string // "tcp" or "udp"
	HostIP        net.IP
	HostPort      uint16 // 0 in a request: pick a free port from the ephemeral range
	ContainerPort uint16
}

func (m PortMapping) String() string {
	ip := "0.0.0.0"
	if m.HostIP != nil {
		ip = m.HostIP.String()
	}
	return fmt.Sprintf("%s/%s", net.JoinHostPort(ip, strconv.Itoa(int(m.HostPort))), m.Proto)
}

// published is what one container holds: its mappings and the sockets
// that reserve the host ports (they never see traffic: DNAT happens first).
type published struct {
	ip       net.IP
	mappings []PortMapping
	holds    []io.Closer
}

// Publish reserves the host ports of reqs for containerID (attached
// before) and programs the DNAT rules. Requests with HostPort 0 get a free
// port from the ephemeral range. A port taken by another container or by a
// host process fails with ErrConflict and nothing is published. It returns
// the mappings with their host ports.
func (n *Network) Publish(ctx context.Context, containerID string, reqs []PortMapping) ([]PortMapping, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	ip, ok := n.owners[containerID]
	if !ok {
		return nil, fmt.Errorf("publish ports: container %s is not attached to %s: %w", containerID, n.cfg.BridgeName, errdefs.ErrFailedPrecondition)
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	if _, ok := n.ports[containerID]; ok {
		return nil, fmt.Errorf("publish ports: container %s already has published ports: %w", containerID, errdefs.ErrAlreadyExists)
	}
	p := &published{ip: ip}
	for _, r := range reqs {
		ms, holds, err := n.reserveGroup(n.requestGroup(r), p.mappings)
		if err != nil {
			closeAll(p.holds)
			return nil, err
		}
		p.mappings, p.holds = append(p.mappings, ms...), append(p.holds, holds...)
	}
	n.ports[containerID] = p
	if err := n.syncPortsLocked(); err != nil {
		delete(n.ports, containerID)
		closeAll(p.holds)
		return nil, err
	}
	return slices.Clone(p.mappings), nil
}

// RestorePorts records the mappings of a container still running after a
// daemon restart and re-reserves their host ports (best effort: a port
// taken meanwhile stays published, as the rules already were). The rules
// are reprogrammed by Prune.
func (n *Network) RestorePorts(containerID string, mappings []PortMapping) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ip, ok := n.owners[containerID]
	if !ok || len(mappings) == 0 {
		return
	}
	p := &published{ip: ip, mappings: slices.Clone(mappings)}
	for _, m := range mappings {
		if h, err := bindHost(m); err == nil {
			p.holds = append(p.holds, h)
		}
	}
	n.ports[containerID] = p
}

// unpublishLocked drops containerID's mappings and rules.
func (n *Network) unpublishLocked(containerID string) error {
	p, ok := n.ports[containerID]
	if !ok {
		return nil
	}
	delete(n.ports, containerID)
	closeAll(p.holds)
	return n.syncPortsLocked()
}

// syncPortsLocked rewrites the ports chain from n.ports.
func (n *Network) syncPortsLocked() error {
	ids := make([]string, 0, len(n.ports))
	for id := range n.ports {
		ids = append(ids, id)
	}
	slices.Sort(ids) // stable rule order
	var rules [][]expr.Any
	for _, id := range ids {
		p := n.ports[id]
		for _, m := range p.mappings {
			if m.isV6() {
				continue // syncPorts6Locked
			}
			rules = append(rules, portRule(m, p.ip))
		}
	}
	return errors.Join(n.rules.programPorts(n.nft, rules), n.syncPorts6Locked(ids))
}

// reservePort checks r against the ports other containers hold (and those
// already taken by this request) and binds a socket on the host port.
func (n *Network) reservePort(r PortMapping, mine []PortMapping) (PortMapping, io.Closer, error) {
	if r.Proto != "tcp" && r.Proto != "udp" {
		return r, nil, fmt.Errorf("protocol %q: only tcp and udp ports can be published: %w", r.Proto, errdefs.ErrInvalidArgument)
	}
	if err := n.checkFamily(r); err != nil {
		return r, nil, err
	}
	if r.ContainerPort == 0 {
		return r, nil, fmt.Errorf("container port 0: %w", errdefs.ErrInvalidArgument)
	}
	if r.HostPort != 0 {
		if n.allocatedLocked(r, mine) {
			return r, nil, fmt.Errorf("Bind for %s failed: port is already allocated: %w", r, errdefs.ErrConflict)
		}
		h, err := bindHost(r)
		if err != nil {
			return r, nil, fmt.Errorf("cannot publish %s: %v: %w", r, err, errdefs.ErrConflict)
		}
		return r, h, nil
	}
	lo, hi := ephemeralRange()
	span := int(hi-lo) + 1
	start := rand.IntN(span)
	for i := range span {
		r.HostPort = lo + uint16((start+i)%span)
		if n.allocatedLocked(r, mine) {
			continue
		}
		if h, err := bindHost(r); err == nil {
			return r, h, nil
		}
	}
	r.HostPort = 0
	return r, nil, fmt.Errorf("no free host port for %s in %d-%d: %w", r, lo, hi, errdefs.ErrUnavailable)
}

// allocatedLocked reports whether r's host port is held already, by any
// container or earlier in the same request, on an overlapping address.
func (n *Network) allocatedLocked(r PortMapping, mine []PortMapping) bool {
	clash := func(ms []PortMapping) bool {
		for _, m := range ms {
			if m.Proto == r.Proto && m.HostPort == r.HostPort && overlapHostIP(m.HostIP, r.HostIP) {
				return true
			}
		}
		return false
	}
	if clash(mine) {
		return true
	}
	for _, p := range n.ports {
		if clash(p.mappings) {
			return true
		}
	}
	return false
}

func overlapHostIP(a, b net.IP) bool {
	if family(a) != family(b) {
		return false
	}
	return a == nil || b == nil || a.IsUnspecified() || b.IsUnspecified() || a.Equal(b)
}

// bindHost binds a socket on the mapping's host address and port: it fails
// when a host process uses the port, and keeps others from taking it.
func bindHost(m PortMapping) (io.Closer, error) {
	if m.isV6() {
		return bindHost6(m)
	}
	addr := net.JoinHostPort(hostIPString(m.HostIP), strconv.Itoa(int(m.HostPort)))
	if m.Proto == "udp" {
		return net.ListenPacket("udp4", addr)
	}
	return net.Listen("tcp4", addr)
}

func hostIPString(ip net.IP) string {
	if ip == nil {
		return "0.0.0.0"
	}
	return ip.String()
}

// ephemeralRange is net.ipv4.ip_local_port_range (32768–60999 when unreadable).
func ephemeralRange() (uint16, uint16) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			lo, err1 := strconv.ParseUint(f[0], 10, 16)
			hi, err2 := strconv.ParseUint(f[1], 10, 16)
			if err1 == nil && err2 == nil && lo > 0 && lo <= hi {
				return uint16(lo), uint16(hi)
			}
		}
	}
	return 32768, 60999
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		if c != nil {
			_ = c.Close()
		}
	}
}
