package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/containerd/errdefs"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Published ports over IPv6 (networks with Subnet6). A request without a
// host address is published on both families ("0.0.0.0" and "::", on the
// same host port, as Docker does); one with an IPv6 host address on IPv6
// only. In the ip6 table:
//
//   - ports (regular chain, from prerouting and output for local
//     destinations): "[ip6 daddr <host ip>] meta l4proto <p> th dport
//     <host port> dnat to [<container ip6>]:<port>"; hairpin and routed
//     traffic from other networks as in IPv4 (postrouting masquerades
//     "ct status dnat" towards the bridge, forward accepts it).
//   - [::1]:port: IPv6 has no route_localnet, so a reply de-NATed to ::1
//     arriving on the bridge would be dropped. Connections from the host
//     to [::1]:<host port> are instead rewritten statelessly: in output
//     (a route chain, so the packet is routed again) the source becomes a
//     stand-in address of the host port, <prefix>::2:0:<host port>, and
//     the destination the container's; in input the container's replies
//     to the stand-in get ::1 and the host port back before the socket
//     lookup. Neither direction is tracked by conntrack (notrack), and no
//     userland proxy is involved. Each stand-in is a /128 address on the
//     bridge (so the bridge answers neighbour discovery for it), marked
//     deprecated so the host never picks it as a source of its own.

// isV6 reports whether m is published on an IPv6 host address.
func (m PortMapping) isV6() bool { return m.HostIP != nil && m.HostIP.To4() == nil }

// onLoopback6 reports whether m is reachable at [::1]:HostPort.
func (m PortMapping) onLoopback6() bool {
	return m.isV6() && (m.HostIP.IsUnspecified() || m.HostIP.Equal(net.IPv6loopback))
}

// family is 6 for mappings on an IPv6 host address, else 4.
func family(ip net.IP) int {
	if ip != nil && ip.To4() == nil {
		return 6
	}
	return 4
}

// standIn is <prefix>::2:0:<host port>, the source of rewritten [::1]
// connections to hostPort.
func (n *Network) standIn(hostPort uint16) net.IP {
	ip := append(net.IP(nil), n.subnet6.IP.To16()...)
	binary.BigEndian.PutUint32(ip[8:12], 2)
	binary.BigEndian.PutUint32(ip[12:16], uint32(hostPort))
	return ip
}

// standInNet is <prefix>::2:0:0/96, where all stand-ins are.
func (n *Network) standInNet() *net.IPNet {
	return &net.IPNet{IP: n.standIn(0), Mask: net.CIDRMask(96, 128)}
}

// reserveGroup reserves the host ports of group: one request, or its
// IPv4 and IPv6 halves, which must get the same host port.
func (n *Network) reserveGroup(group []PortMapping, mine []PortMapping) ([]PortMapping, []io.Closer, error) {
	tries := 1
	if len(group) > 1 && group[0].HostPort == 0 {
		tries = 64
	}
	var err error
	for range tries {
		var ms []PortMapping
		var holds []io.Closer
		for i, r := range group {
			if i > 0 {
				r.HostPort = ms[0].HostPort
			}
			var m PortMapping
			var h io.Closer
			if m, h, err = n.reservePort(r, append(mine, ms...)); err != nil {
				closeAll(holds)
				break
			}
			ms, holds = append(ms, m), append(holds, h)
		}
		if err == nil {
			return ms, holds, nil
		}
	}
	return nil, nil, err
}

// requestGroup is r, plus its IPv6 half when r has no host address and
// the network has IPv6.
func (n *Network) requestGroup(r PortMapping) []PortMapping {
	if r.HostIP != nil || n.subnet6 == nil {
		return []PortMapping{r}
	}
	r6 := r
	r6.HostIP = net.IPv6unspecified
	return []PortMapping{r, r6}
}

// checkFamily refuses IPv6 host addresses on a network without IPv6.
func (n *Network) checkFamily(r PortMapping) error {
	if r.isV6() && n.subnet6 == nil {
		return fmt.Errorf("host IP %s: network %s has no IPv6 (create it with --ipv6): %w", r.HostIP, n.cfg.BridgeName, errdefs.ErrInvalidArgument)
	}
	return nil
}

// syncPorts6Locked rewrites the IPv6 port chains from n.ports.
func (n *Network) syncPorts6Locked(ids []string) error {
	if n.subnet6 == nil {
		return nil
	}
	var dnat, loOut, loIn [][]expr.Any
	standIns := map[string]bool{}
	for _, id := range ids {
		p := n.ports[id]
		for _, m := range p.mappings {
			if !m.isV6() {
				continue
			}
			ctr := n.v6For(p.ip)
			if !m.HostIP.Equal(net.IPv6loopback) {
				dnat = append(dnat, portRule6(m, ctr))
			}
			if m.onLoopback6() {
				lo := n.standIn(m.HostPort)
				standIns[lo.String()] = true
				loOut = append(loOut, loopbackOutRule(m, ctr, lo))
				loIn = append(loIn, loopbackInRule(m, ctr, lo))
			}
		}
	}
	if err := n.addStandIns(standIns); err != nil {
		return err
	}
	return errors.Join(n.rules6().programPorts(n.nft, dnat, loOut, loIn), n.removeStandIns(standIns))
}

// addStandIns puts the stand-in addresses in want on the bridge: /128,
// no DAD, deprecated (valid forever, preferred never).
func (n *Network) addStandIns(want map[string]bool) error {
	link, err := n.h.LinkByIndex(n.bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", n.cfg.BridgeName, err)
	}
	for s := range want {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(s), Mask: net.CIDRMask(128, 128)},
			Flags: unix.IFA_F_NODAD, PreferedLft: 0, ValidLft: infiniteLifetime}
		if err := n.h.AddrReplace(link, a); err != nil {
			return fmt.Errorf("address %s on %s: %w", a.IPNet, n.cfg.BridgeName, err)
		}
	}
	return nil
}

// infiniteLifetime is INFINITY_LIFE_TIME of an address's cache info.
const infiniteLifetime = 0xffffffff

// removeStandIns deletes the stand-in addresses on the bridge not in keep.
func (n *Network) removeStandIns(keep map[string]bool) error {
	link, err := n.h.LinkByIndex(n.bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", n.cfg.BridgeName, err)
	}
	addrs, err := n.h.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return fmt.Errorf("addresses of %s: %w", n.cfg.BridgeName, err)
	}
	var errs []error
	in := n.standInNet()
	for _, a := range addrs {
		if ones, _ := a.Mask.Size(); ones == 128 && in.Contains(a.IP) && !keep[a.IP.String()] {
			if err := n.h.AddrDel(link, &a); err != nil {
				errs = append(errs, fmt.Errorf("delete address %s on %s: %w", a.IPNet, n.cfg.BridgeName, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Chains of the ip6 table for [::1] (besides ports, prerouting, output).
const (
	chainLoopbackPre = "loopback-prerouting" // filter, raw priority: notrack replies to <prefix>::2
	chainLoopbackOut = "loopback-output"     // route, raw priority: rewrite [::1]:port connections
	chainLoopbackIn  = "loopback-input"      // filter, raw priority: rewrite their replies
)

func (rs ruleSet6) portChains(t *nftables.Table) (ports, out, in *nftables.Chain) {
	accept := nftables.ChainPolicyAccept
	ports = &nftables.Chain{Name: chainPorts, Table: t}
	out = &nftables.Chain{Name: chainLoopbackOut, Table: t, Type: nftables.ChainTypeRoute,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityRaw, Policy: &accept}
	in = &nftables.Chain{Name: chainLoopbackIn, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityRaw, Policy: &accept}
	return ports, out, in
}

// programPorts replaces the content of the ports and loopback chains in
// one transaction.
func (rs ruleSet6) programPorts(c *nftables.Conn, dnat, loOut, loIn [][]expr.Any) error {
	t := c.AddTable(rs.tableRef())
	ports, out, in := rs.portChains(t)
	for ch, rules := range map[*nftables.Chain][][]expr.Any{ports: dnat, out: loOut, in: loIn} {
		ch = c.AddChain(ch)
		c.FlushChain(ch)
		for _, r := range rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: r})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("program published IPv6 ports in nftables table ip6 %s: %w", rs.table, err)
	}
	return nil
}

// portRule6 is "[ip6 daddr <host ip>] meta l4proto <proto> th dport
// <host port> counter dnat to [<container ip6>]:<container port>".
func portRule6(m PortMapping, ctr net.IP) []expr.Any {
	var out []expr.Any
	if !m.HostIP.IsUnspecified() {
		out = append(out, matchAddr6(24, m.HostIP)...)
	}
	return concat(out, matchL4(m.Proto), matchPort(2, m.HostPort), []expr.Any{
		&expr.Counter{},
		&expr.Immediate{Register: 1, Data: []byte(ctr.To16())},
		&expr.Immediate{Register: 2, Data: be16(m.ContainerPort)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV6, RegAddrMin: 1, RegProtoMin: 2},
	})
}

// loopbackOutRule is "ip6 daddr ::1 meta l4proto <p> th dport <host port>
// notrack ip6 saddr set <lo6> ip6 daddr set <container> th dport set
// <container port> counter".
func loopbackOutRule(m PortMapping, ctr, lo6 net.IP) []expr.Any {
	return concat(matchAddr6(24, net.IPv6loopback), matchL4(m.Proto), matchPort(2, m.HostPort),
		[]expr.Any{&expr.Notrack{}}, setAddr6(8, lo6), setAddr6(24, ctr), setPort(m.Proto, 2, m.ContainerPort),
		[]expr.Any{&expr.Counter{}})
}

// loopbackInRule is "ip6 saddr <container> ip6 daddr <lo6> meta l4proto
// <p> th sport <container port> ip6 saddr set ::1 ip6 daddr set ::1 th
// sport set <host port> counter".
func loopbackInRule(m PortMapping, ctr, lo6 net.IP) []expr.Any {
	return concat(matchAddr6(8, ctr), matchAddr6(24, lo6), matchL4(m.Proto), matchPort(0, m.ContainerPort),
		setAddr6(8, net.IPv6loopback), setAddr6(24, net.IPv6loopback), setPort(m.Proto, 0, m.HostPort),
		[]expr.Any{&expr.Counter{}})
}

// matchAddr6 compares the IPv6 address at off (8 source, 24 destination).
func matchAddr6(off uint32, ip net.IP) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 16},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte(ip.To16())},
	}
}

func l4proto(proto string) byte {
	if proto == "udp" {
		return unix.IPPROTO_UDP
	}
	return unix.IPPROTO_TCP
}

func matchL4(proto string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{l4proto(proto)}},
	}
}

// matchPort compares the transport port at off (0 source, 2 destination).
func matchPort(off uint32, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(port)},
	}
}

// setAddr6 writes ip at off, updating the transport checksum's pseudo header.
func setAddr6(off uint32, ip net.IP) []expr.Any {
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: []byte(ip.To16())},
		&expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: expr.PayloadBaseNetworkHeader,
			Offset: off, Len: 16, CsumFlags: unix.NFT_PAYLOAD_L4CSUM_PSEUDOHDR},
	}
}

// setPort writes a transport port at off, updating the checksum.
func setPort(proto string, off uint32, port uint16) []expr.Any {
	csum := uint32(16) // tcp
	if proto == "udp" {
		csum = 6
	}
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: be16(port)},
		&expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: expr.PayloadBaseTransportHeader,
			Offset: off, Len: 2, CsumType: expr.CsumTypeInet, CsumOffset: csum},
	}
}

// bindHost6 binds an IPv6-only socket on the mapping's host address.
func bindHost6(m PortMapping) (io.Closer, error) {
	addr := net.JoinHostPort(m.HostIP.String(), fmt.Sprint(m.HostPort))
	if m.Proto == "udp" {
		return net.ListenPacket("udp6", addr)
	}
	return net.Listen("tcp6", addr)
}
