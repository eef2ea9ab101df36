package bridge

import (
	"bytes"
	"fmt"
	"net"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// render prints a rule set in a stable text form for golden files and for
// comparing what the kernel holds with what was programmed.
func (rs ruleSet) render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s\n", rs.table)
	fmt.Fprintf(&b, "  chain %s { type nat hook postrouting priority 100; policy accept; }\n", chainPostrouting)
	writeRules(&b, rs.postrouting)
	fmt.Fprintf(&b, "  chain %s { type filter hook forward priority 0; policy accept; }\n", chainForward)
	writeRules(&b, rs.forward)
	fmt.Fprintf(&b, "  chain %s { type nat hook prerouting priority -100; policy accept; }\n", chainPrerouting)
	writeRules(&b, rs.prerouting)
	fmt.Fprintf(&b, "  chain %s { type nat hook output priority -100; policy accept; }\n", chainOutput)
	writeRules(&b, rs.output)
	fmt.Fprintf(&b, "  chain %s { published ports, one rule each }\n", chainPorts)
	if len(rs.bridgeForward) > 0 {
		fmt.Fprintf(&b, "table bridge %s\n  chain %s { type filter hook forward priority 0; policy accept; }\n", rs.table, chainForward)
		writeRules(&b, rs.bridgeForward)
	}
	fmt.Fprintf(&b, "table ip %s (foreign, when present)\n  chain %s: inserted first, comment %q\n", foreignTable, foreignChain, rs.marker)
	writeRules(&b, rs.foreign)
	return b.String()
}

func writeRules(b *strings.Builder, rules [][]expr.Any) {
	for _, r := range rules {
		b.WriteString("    " + renderRule(r) + "\n")
	}
}

func renderRule(r []expr.Any) string {
	parts := make([]string, 0, len(r))
	for _, e := range r {
		parts = append(parts, renderExpr(e))
	}
	return strings.Join(parts, " | ")
}

func renderExpr(e expr.Any) string {
	switch e := e.(type) {
	case *expr.Payload:
		if e.OperationType == expr.PayloadWrite {
			return fmt.Sprintf("payload write r%d -> base=%d off=%d len=%d csum=%d/%d flags=%#x", e.SourceRegister, e.Base, e.Offset, e.Len, e.CsumType, e.CsumOffset, e.CsumFlags)
		}
		return fmt.Sprintf("payload base=%d off=%d len=%d -> r%d", e.Base, e.Offset, e.Len, e.DestRegister)
	case *expr.Notrack:
		return "notrack"
	case *expr.Bitwise:
		return fmt.Sprintf("bitwise r%d & %x ^ %x -> r%d", e.SourceRegister, e.Mask, e.Xor, e.DestRegister)
	case *expr.Cmp:
		return fmt.Sprintf("cmp r%d %s %s", e.Register, cmpOp(e.Op), cmpData(e.Data))
	case *expr.Meta:
		return fmt.Sprintf("meta %s -> r%d", metaKey(e.Key), e.Register)
	case *expr.Ct:
		switch e.Key {
		case expr.CtKeySTATE:
			return fmt.Sprintf("ct state -> r%d", e.Register)
		case expr.CtKeySTATUS:
			return fmt.Sprintf("ct status -> r%d", e.Register)
		}
		return fmt.Sprintf("ct key=%d -> r%d", e.Key, e.Register)
	case *expr.Counter:
		return "counter"
	case *expr.Masq:
		return "masquerade"
	case *expr.Verdict:
		switch e.Kind {
		case expr.VerdictAccept:
			return "accept"
		case expr.VerdictJump:
			return "jump " + e.Chain
		case expr.VerdictDrop:
			return "drop"
		}
		return fmt.Sprintf("verdict %d", e.Kind)
	case *expr.Fib:
		return fmt.Sprintf("fib daddr=%t type=%t -> r%d", e.FlagDADDR, e.ResultADDRTYPE, e.Register)
	case *expr.Immediate:
		return fmt.Sprintf("immediate %x -> r%d", e.Data, e.Register)
	case *expr.NAT:
		return fmt.Sprintf("nat type=%d family=%d addr=r%d proto=r%d", e.Type, e.Family, e.RegAddrMin, e.RegProtoMin)
	case *expr.Match:
		if info, ok := e.Info.(*xt.ConntrackMtinfo3); ok {
			return fmt.Sprintf("match %s rev=%d flags=%#x state=%#x", e.Name, e.Rev, info.MatchFlags, info.StateMask)
		}
		return fmt.Sprintf("match %s rev=%d", e.Name, e.Rev)
	}
	return fmt.Sprintf("%T", e)
}

func metaKey(k expr.MetaKey) string {
	switch k {
	case expr.MetaKeyIIFNAME:
		return "iifname"
	case expr.MetaKeyOIFNAME:
		return "oifname"
	case expr.MetaKeyL4PROTO:
		return "l4proto"
	case expr.MetaKeyBRIIIFNAME:
		return "ibrname"
	}
	return fmt.Sprintf("key=%d", k)
}

func cmpOp(op expr.CmpOp) string {
	switch op {
	case expr.CmpOpEq:
		return "=="
	case expr.CmpOpNeq:
		return "!="
	}
	return fmt.Sprintf("op%d", op)
}

// cmpData shows interface names as quoted strings (with their NUL padding
// length) and addresses as IPs.
func cmpData(d []byte) string {
	name := bytes.TrimRight(d, "\x00")
	if len(d) == 4 && len(d)-len(name) != 1 { // an address, not an xt "abc\0"
		return net.IP(d).String()
	}
	if len(name) > 0 && isPrintable(name) {
		return fmt.Sprintf("%q/%d", name, len(d))
	}
	if len(d) == 4 && len(name) > 0 || len(d) == 16 {
		return net.IP(d).String()
	}
	return fmt.Sprintf("%x", d)
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
