package bridge

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"

	"github.com/containerd/errdefs"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// IPv6 on a network (Config.Subnet6, a /64 or larger): the bridge gets
// <prefix>::1, each container <prefix>::1:0:<n> where n is the index of its
// IPv4 address in the IPv4 subnet (so the IPv4 IPAM keeps both unique and
// a restart needs nothing more), a default IPv6 route on its first
// interface, and an ip6 table masquerades and isolates like the ip one.

func parseSubnet6(s string) (*net.IPNet, error) {
	_, n, err := net.ParseCIDR(s)
	if err != nil || n.IP.To4() != nil {
		return nil, fmt.Errorf("IPv6 subnet %q: not an IPv6 CIDR: %w", s, errdefs.ErrInvalidArgument)
	}
	if ones, _ := n.Mask.Size(); ones > 96 {
		return nil, fmt.Errorf("IPv6 subnet %q: at most /96: %w", s, errdefs.ErrInvalidArgument)
	}
	return n, nil
}

// v6For is the IPv6 address paired with the IPv4 address ip4.
func (n *Network) v6For(ip4 net.IP) net.IP {
	idx := ip4ToUint(ip4) - ip4ToUint(n.subnet.IP)
	ip := append(net.IP(nil), n.subnet6.IP.To16()...)
	binary.BigEndian.PutUint32(ip[8:12], binary.BigEndian.Uint32(ip[8:12])|1)
	binary.BigEndian.PutUint32(ip[12:16], idx)
	return ip
}

// setupIPv6 gives the bridge its IPv6 gateway address, turns on IPv6
// forwarding and programs the ip6 table.
func (n *Network) setupIPv6() error {
	link, err := n.h.LinkByName(n.cfg.BridgeName)
	if err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: n.gateway6, Mask: n.subnet6.Mask}, Flags: unix.IFA_F_NODAD}
	if err := n.h.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("address %s on %s: %w", addr.IPNet, n.cfg.BridgeName, err)
	}
	const p = "/proc/sys/net/ipv6/conf/all/forwarding"
	if b, err := os.ReadFile(p); err != nil || len(b) == 0 || b[0] != '1' {
		if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
			return fmt.Errorf("enable IPv6 forwarding: %w", err)
		}
	}
	return n.rules6().program(n.nft)
}

// ruleSet6 is the ip6 table of a network with IPv6.
type ruleSet6 struct {
	table       string
	postrouting [][]expr.Any
	forward     [][]expr.Any
	prerouting  [][]expr.Any // nat: jump ports for local destinations
	output      [][]expr.Any // nat: the same for the host's own connections
	loopbackPre [][]expr.Any // notrack replies to the [::1] stand-ins
}

func (n *Network) rules6() ruleSet6 {
	br := n.cfg.BridgeName
	in, out := matchIfname(expr.MetaKeyIIFNAME, expr.CmpOpEq, br), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, br)
	rs := ruleSet6{table: n.cfg.TableName}
	if n.cfg.Internal {
		rs.forward = [][]expr.Any{concat(in, out, counterVerdict(accept())), concat(in, counterVerdict(drop())), concat(out, counterVerdict(drop()))}
		return rs
	}
	rs.postrouting = [][]expr.Any{
		concat(matchSaddr6(n.subnet6), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpNeq, br), counterVerdict(nil), masq()),
		concat(matchSaddr6(n.subnet6), out, ctDNAT(), counterVerdict(nil), masq()), // hairpin
	}
	rs.forward = [][]expr.Any{
		concat(in, counterVerdict(accept())),
		concat(out, ctEstablished(), counterVerdict(accept())),
		concat(out, ctDNAT(), counterVerdict(accept())), // published ports
		concat(out, counterVerdict(drop())),
	}
	rs.prerouting = [][]expr.Any{concat(fibDaddrLocal(), jump(chainPorts))}
	rs.output = [][]expr.Any{concat(fibDaddrLocal(), jump(chainPorts))}
	rs.loopbackPre = [][]expr.Any{concat(matchDaddr6(n.standInNet()), []expr.Any{&expr.Notrack{}})}
	return rs
}

func (rs ruleSet6) tableRef() *nftables.Table {
	return &nftables.Table{Name: rs.table, Family: nftables.TableFamilyIPv6}
}

func (rs ruleSet6) program(c *nftables.Conn) error {
	t := c.AddTable(rs.tableRef())
	accept := nftables.ChainPolicyAccept
	ports, loOut, loIn := rs.portChains(t) // created when missing, never flushed here
	c.AddChain(ports)
	c.AddChain(loOut)
	c.AddChain(loIn)
	post := c.AddChain(&nftables.Chain{Name: chainPostrouting, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource, Policy: &accept})
	fwd := c.AddChain(&nftables.Chain{Name: chainForward, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	pre := c.AddChain(&nftables.Chain{Name: chainPrerouting, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest, Policy: &accept})
	out := c.AddChain(&nftables.Chain{Name: chainOutput, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest, Policy: &accept})
	loPre := c.AddChain(&nftables.Chain{Name: chainLoopbackPre, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRaw, Policy: &accept})
	for ch, rules := range map[*nftables.Chain][][]expr.Any{post: rs.postrouting, fwd: rs.forward,
		pre: rs.prerouting, out: rs.output, loPre: rs.loopbackPre} {
		c.FlushChain(ch)
		for _, r := range rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: r})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("program nftables table ip6 %s: %w", rs.table, err)
	}
	return nil
}

func (rs ruleSet6) deleteTable(c *nftables.Conn) error {
	if _, err := c.ListTableOfFamily(rs.table, nftables.TableFamilyIPv6); err != nil {
		return nil // absent
	}
	c.DelTable(rs.tableRef())
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables table ip6 %s: %w", rs.table, err)
	}
	return nil
}

// matchSaddr6 is "ip6 saddr <subnet>".
func matchSaddr6(subnet *net.IPNet) []expr.Any { return matchNet6(8, subnet) }

// matchDaddr6 is "ip6 daddr <subnet>".
func matchDaddr6(subnet *net.IPNet) []expr.Any { return matchNet6(24, subnet) }

func matchNet6(off uint32, subnet *net.IPNet) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 16},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: []byte(subnet.Mask), Xor: make([]byte, 16)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte(subnet.IP.To16())},
	}
}

// configureInside6 adds ep's IPv6 address (and, when first, the default
// IPv6 route) in the netns the current thread is in.
func configureInside6(h *netlink.Handle, link netlink.Link, ep *Endpoint, first bool) error {
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ep.IP6, Mask: net.CIDRMask(ep.PrefixLen6, 128)}, Flags: unix.IFA_F_NODAD}
	if err := h.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("%s address %s: %w", ep.IfName, addr.IPNet, err)
	}
	if !first {
		return nil
	}
	if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: ep.Gateway6}); err != nil {
		return fmt.Errorf("default IPv6 route via %s: %w", ep.Gateway6, err)
	}
	return nil
}

// Subnet6 returns the IPv6 subnet, nil without IPv6.
func (n *Network) Subnet6() *net.IPNet {
	if n.subnet6 == nil {
		return nil
	}
	return &net.IPNet{IP: append(net.IP(nil), n.subnet6.IP...), Mask: append(net.IPMask(nil), n.subnet6.Mask...)}
}

// Gateway6 returns the bridge's IPv6 address, nil without IPv6.
func (n *Network) Gateway6() net.IP { return append(net.IP(nil), n.gateway6...) }
