package bridge

import (
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/google/nftables/xt"
)

// Chains of Berth's own table (family ip).
const (
	chainPostrouting = "postrouting"
	chainForward     = "forward"
	chainPrerouting  = "prerouting" // nat, jumps to ports for local destinations
	chainOutput      = "output"     // nat, the same for the host's own connections
	chainPorts       = "ports"      // regular chain: one DNAT rule per published port
)

// The foreign chain another engine (Docker with iptables-nft) filters in.
const (
	foreignTable = "filter"
	foreignChain = "FORWARD"
)

// ruleSet is the desired content of Berth's table for one bridge.
type ruleSet struct {
	table       string
	postrouting [][]expr.Any // nat, hook postrouting, priority srcnat
	forward     [][]expr.Any // filter, hook forward, priority filter
	prerouting  [][]expr.Any // nat, hook prerouting, priority dstnat
	output      [][]expr.Any // nat, hook output, priority dstnat
	// bridgeForward goes into table bridge <table> (icc=false), if any.
	bridgeForward [][]expr.Any
	foreign       [][]expr.Any // inserted into ip filter FORWARD when present
	marker        string       // comment identifying our foreign rules
}

func newRuleSet(table, bridge string, subnet *net.IPNet) ruleSet {
	return ruleSet{
		table: table,
		// ip saddr <subnet> oifname != <bridge> masquerade
		// ip saddr 127.0.0.0/8 oifname <bridge> masquerade (published ports on 127.0.0.1)
		// ip saddr <subnet> oifname <bridge> ct status dnat masquerade (hairpin)
		postrouting: [][]expr.Any{
			concat(matchSaddr(subnet), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge), counterVerdict(nil), masq()),
			concat(matchSaddr(loopbackNet), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), counterVerdict(nil), masq()),
			concat(matchSaddr(subnet), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), ctDNAT(), counterVerdict(nil), masq()),
		},
		// iifname <bridge> accept; oifname <bridge> ct state established,related accept;
		// oifname <bridge> ct status dnat accept (published ports);
		// oifname <bridge> drop (nothing else enters: isolates networks)
		forward: [][]expr.Any{
			concat(matchIfname(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), counterVerdict(accept())),
			concat(matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), ctEstablished(), counterVerdict(accept())),
			concat(matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), ctDNAT(), counterVerdict(accept())),
			concat(matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), counterVerdict(drop())),
		},
		// fib daddr type local jump ports
		prerouting: [][]expr.Any{concat(fibDaddrLocal(), jump(chainPorts))},
		output:     [][]expr.Any{concat(fibDaddrLocal(), jump(chainPorts))},
		// -i <bridge> -j ACCEPT; -o <bridge> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
		foreign: [][]expr.Any{
			concat(xtIfname(expr.MetaKeyIIFNAME, bridge), counterVerdict(accept())),
			concat(xtIfname(expr.MetaKeyOIFNAME, bridge), xtConntrackEstablished(), counterVerdict(accept())),
		},
		marker: "berth:" + bridge,
	}
}

func (rs ruleSet) tableRef() *nftables.Table {
	return &nftables.Table{Name: rs.table, Family: nftables.TableFamilyIPv4}
}

// program replaces the content of Berth's base chains in one transaction;
// the ports chain (port publishing) is created when missing, never flushed.
func (rs ruleSet) program(c *nftables.Conn) error {
	t := c.AddTable(rs.tableRef())
	accept := nftables.ChainPolicyAccept
	c.AddChain(&nftables.Chain{Name: chainPorts, Table: t})
	chains := []struct {
		ch    *nftables.Chain
		rules [][]expr.Any
	}{
		{&nftables.Chain{Name: chainPostrouting, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource, Policy: &accept}, rs.postrouting},
		{&nftables.Chain{Name: chainForward, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept}, rs.forward},
		{&nftables.Chain{Name: chainPrerouting, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest, Policy: &accept}, rs.prerouting},
		{&nftables.Chain{Name: chainOutput, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest, Policy: &accept}, rs.output},
	}
	for _, x := range chains {
		ch := c.AddChain(x.ch)
		c.FlushChain(ch)
		for _, r := range x.rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: r})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("program nftables table %s: %w", rs.table, err)
	}
	return nil
}

// deleteTable removes Berth's table if it exists.
func (rs ruleSet) deleteTable(c *nftables.Conn) error {
	if _, err := c.ListTableOfFamily(rs.table, nftables.TableFamilyIPv4); err != nil {
		return nil // absent
	}
	c.DelTable(rs.tableRef())
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables table %s: %w", rs.table, err)
	}
	return nil
}

// foreignChainRef returns ip filter FORWARD when it exists.
func foreignChainRef(c *nftables.Conn) (*nftables.Chain, bool) {
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, false
	}
	for _, ch := range chains {
		if ch.Table.Name == foreignTable && ch.Name == foreignChain {
			return ch, true
		}
	}
	return nil, false
}

// ensureForeign inserts the accept rules at the top of ip filter FORWARD
// unless exactly our set is already there (then nothing changes).
func (rs ruleSet) ensureForeign(c *nftables.Conn) error {
	ch, ok := foreignChainRef(c)
	if !ok {
		return nil
	}
	ours, err := rs.foreignRules(c, ch)
	if err != nil {
		return err
	}
	if len(ours) == len(rs.foreign) {
		return nil
	}
	for _, r := range ours {
		if err := c.DelRule(r); err != nil {
			return err
		}
	}
	for i := len(rs.foreign) - 1; i >= 0; i-- { // insert prepends: reverse order
		c.InsertRule(&nftables.Rule{Table: ch.Table, Chain: ch, Exprs: rs.foreign[i],
			UserData: userdata.AppendString(nil, userdata.TypeComment, rs.marker)})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("insert accept rules into ip filter FORWARD: %w", err)
	}
	return nil
}

// removeForeign deletes our rules from ip filter FORWARD.
func (rs ruleSet) removeForeign(c *nftables.Conn) error {
	ch, ok := foreignChainRef(c)
	if !ok {
		return nil
	}
	ours, err := rs.foreignRules(c, ch)
	if err != nil || len(ours) == 0 {
		return err
	}
	for _, r := range ours {
		if err := c.DelRule(r); err != nil {
			return err
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("remove accept rules from ip filter FORWARD: %w", err)
	}
	return nil
}

func (rs ruleSet) foreignRules(c *nftables.Conn, ch *nftables.Chain) ([]*nftables.Rule, error) {
	rules, err := c.GetRules(ch.Table, ch)
	if err != nil {
		return nil, fmt.Errorf("list ip filter FORWARD: %w", err)
	}
	var ours []*nftables.Rule
	for _, r := range rules {
		if s, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok && s == rs.marker {
			ours = append(ours, r)
		}
	}
	return ours, nil
}

func concat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// matchSaddr is "ip saddr <subnet>".
func matchSaddr(subnet *net.IPNet) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(subnet.Mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte(subnet.IP.To4())},
	}
}

// matchIfname compares an interface name the way nft does (IFNAMSIZ bytes).
func matchIfname(key expr.MetaKey, op expr.CmpOp, name string) []expr.Any {
	b := make([]byte, 16)
	copy(b, name)
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: op, Register: 1, Data: b}}
}

// xtIfname compares an interface name the way iptables-nft does (name and
// its NUL), so iptables-nft can still parse the foreign chain.
func xtIfname(key expr.MetaKey, name string) []expr.Any {
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: append([]byte(name), 0)}}
}

func ctEstablished() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

// xtConntrackEstablished is iptables' "-m conntrack --ctstate RELATED,ESTABLISHED".
func xtConntrackEstablished() []expr.Any {
	const established, related = 1 << 1, 1 << 2 // XT_CONNTRACK_STATE_BIT(ctinfo)
	info := &xt.ConntrackMtinfo3{ConntrackMtinfo2: xt.ConntrackMtinfo2{
		ConntrackMtinfoBase: xt.ConntrackMtinfoBase{MatchFlags: uint16(xt.ConntrackState)},
		StateMask:           established | related,
	}}
	return []expr.Any{&expr.Match{Name: "conntrack", Rev: 3, Info: info}}
}

func counterVerdict(v expr.Any) []expr.Any {
	if v == nil {
		return []expr.Any{&expr.Counter{}}
	}
	return []expr.Any{&expr.Counter{}, v}
}

func accept() expr.Any { return &expr.Verdict{Kind: expr.VerdictAccept} }

func masq() []expr.Any { return []expr.Any{&expr.Masq{}} }
