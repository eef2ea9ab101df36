package bridge

import (
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// withIsolation adapts a rule set to a user network's options:
//
//   - internal: no masquerade and no forwarding between the bridge and any
//     other interface (containers reach each other and the gateway only);
//   - icc=false: a bridge-family table drops frames the bridge would switch
//     from one container's port to another's (traffic to the gateway, the
//     embedded DNS and published ports, which is routed, still flows). The
//     ports are matched by the network's veth name prefix (the kernel's
//     meta ibrname is not available everywhere), so it must be unique.
func (rs ruleSet) withIsolation(bridge, vethPrefix string, internal, icc bool) ruleSet {
	if internal {
		rs.postrouting = rs.postrouting[1:] // drop the outbound masquerade
		rs.forward = [][]expr.Any{
			concat(matchIfname(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), counterVerdict(accept())),
			concat(matchIfname(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), counterVerdict(drop())),
			concat(matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), counterVerdict(drop())),
		}
		rs.foreign = rs.foreign[:1] // only traffic among the bridge's own ports
	}
	if !icc {
		// iifname "<veth prefix>*" drop (in table bridge <table>, hook forward)
		rs.bridgeForward = [][]expr.Any{concat(matchIfnamePrefix(expr.MetaKeyIIFNAME, vethPrefix), counterVerdict(drop()))}
	}
	return rs
}

// matchIfnamePrefix is nft's wildcard "prefix*".
func matchIfnamePrefix(key expr.MetaKey, prefix string) []expr.Any {
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte(prefix)}}
}

func drop() expr.Any { return &expr.Verdict{Kind: expr.VerdictDrop} }

func (rs ruleSet) bridgeTableRef() *nftables.Table {
	return &nftables.Table{Name: rs.table, Family: nftables.TableFamilyBridge}
}

// programBridge creates (or replaces) the bridge-family table when the
// rule set has bridge rules, and deletes it otherwise.
func (rs ruleSet) programBridge(c *nftables.Conn) error {
	if len(rs.bridgeForward) == 0 {
		return rs.deleteBridgeTable(c)
	}
	t := c.AddTable(rs.bridgeTableRef())
	accept := nftables.ChainPolicyAccept
	ch := c.AddChain(&nftables.Chain{Name: chainForward, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	c.FlushChain(ch)
	for _, r := range rs.bridgeForward {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: r})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("program nftables table bridge %s: %w", rs.table, err)
	}
	return nil
}

func (rs ruleSet) deleteBridgeTable(c *nftables.Conn) error {
	if _, err := c.ListTableOfFamily(rs.table, nftables.TableFamilyBridge); err != nil {
		return nil // absent
	}
	c.DelTable(rs.bridgeTableRef())
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables table bridge %s: %w", rs.table, err)
	}
	return nil
}

// privateNets are the destinations BlockPrivate drops: RFC 1918, shared
// address space (RFC 6598) and link-local (cloud metadata services).
var privateNets = []*net.IPNet{
	{IP: net.IPv4(10, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv4(172, 16, 0, 0).To4(), Mask: net.CIDRMask(12, 32)},
	{IP: net.IPv4(192, 168, 0, 0).To4(), Mask: net.CIDRMask(16, 32)},
	{IP: net.IPv4(100, 64, 0, 0).To4(), Mask: net.CIDRMask(10, 32)},
	{IP: net.IPv4(169, 254, 0, 0).To4(), Mask: net.CIDRMask(16, 32)},
}

// withBlockPrivate puts, ahead of the forward rules, "iifname <bridge>
// oifname <bridge> accept" and "iifname <bridge> ct status dnat accept"
// (the network's own containers and published ports stay reachable) and "iifname <bridge> ip daddr <range> drop" for each
// private range. Traffic to the host itself (gateway, DNS) is not
// forwarded and stays allowed.
func (rs ruleSet) withBlockPrivate(bridge string, block bool) ruleSet {
	if !block {
		return rs
	}
	in := matchIfname(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge)
	rules := [][]expr.Any{
		// Bridged traffic shows up here when br_netfilter is loaded.
		concat(in, matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), counterVerdict(accept())),
		concat(in, ctDNAT(), counterVerdict(accept())),
	}
	for _, p := range privateNets {
		rules = append(rules, concat(in, matchDaddr(p), counterVerdict(drop())))
	}
	rs.forward = append(rules, rs.forward...)
	return rs
}

// matchDaddr is "ip daddr <net>".
func matchDaddr(n *net.IPNet) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(n.Mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte(n.IP.To4())},
	}
}
