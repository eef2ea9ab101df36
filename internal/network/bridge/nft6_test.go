package bridge

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestIPv6PortRulesGolden: the ip6 table of a network with IPv6 and the
// rules of ports published on [::], [::1] and one IPv6 host address.
func TestIPv6PortRulesGolden(t *testing.T) {
	_, s6, _ := net.ParseCIDR("fd42:77::/64")
	_, s4, _ := net.ParseCIDR("172.18.0.0/16")
	n := &Network{cfg: Config{BridgeName: "br-6", TableName: "berth-br-6"}, subnet: s4, subnet6: s6}
	rs := n.rules6()
	var b strings.Builder
	fmt.Fprintf(&b, "table ip6 %s\n", rs.table)
	fmt.Fprintf(&b, "  chain %s\n", chainPrerouting)
	writeRules(&b, rs.prerouting)
	fmt.Fprintf(&b, "  chain %s\n", chainOutput)
	writeRules(&b, rs.output)
	fmt.Fprintf(&b, "  chain %s\n", chainLoopbackPre)
	writeRules(&b, rs.loopbackPre)
	ctr := n.v6For(net.ParseIP("172.18.0.2"))
	for _, m := range []PortMapping{
		{Proto: "tcp", HostIP: net.IPv6unspecified, HostPort: 8080, ContainerPort: 80},
		{Proto: "udp", HostIP: net.IPv6loopback, HostPort: 5353, ContainerPort: 53},
		{Proto: "tcp", HostIP: net.ParseIP("fd00::2"), HostPort: 8443, ContainerPort: 443},
	} {
		fmt.Fprintf(&b, "%s -> [%s]:%d (loopback %t)\n", m, ctr, m.ContainerPort, m.onLoopback6())
		if !m.HostIP.Equal(net.IPv6loopback) {
			fmt.Fprintf(&b, "  %s: %s\n", chainPorts, renderRule(portRule6(m, ctr)))
		}
		if m.onLoopback6() {
			fmt.Fprintf(&b, "  %s: %s\n", chainLoopbackOut, renderRule(loopbackOutRule(m, ctr, n.standIn(m.HostPort))))
			fmt.Fprintf(&b, "  %s: %s\n", chainLoopbackIn, renderRule(loopbackInRule(m, ctr, n.standIn(m.HostPort))))
		}
	}
	golden(t, "testdata/rules-ipv6-ports.golden", b.String())
}

func TestRequestGroup(t *testing.T) {
	_, s6, _ := net.ParseCIDR("fd42:77::/64")
	v4only, dual := &Network{}, &Network{subnet6: s6}
	for _, tc := range []struct {
		name string
		n    *Network
		req  PortMapping
		want string
	}{
		{"v4 network, any address", v4only, PortMapping{Proto: "tcp", HostPort: 80, ContainerPort: 80}, "[0.0.0.0:80/tcp]"},
		{"v6 network, any address: both", dual, PortMapping{Proto: "tcp", HostPort: 80, ContainerPort: 80}, "[0.0.0.0:80/tcp [::]:80/tcp]"},
		{"v6 network, 0.0.0.0: v4 only", dual, PortMapping{Proto: "tcp", HostIP: net.IPv4zero, HostPort: 80, ContainerPort: 80}, "[0.0.0.0:80/tcp]"},
		{"v6 network, [::1]", dual, PortMapping{Proto: "udp", HostIP: net.IPv6loopback, HostPort: 53, ContainerPort: 53}, "[[::1]:53/udp]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(tc.n.requestGroup(tc.req)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if err := v4only.checkFamily(PortMapping{HostIP: net.IPv6unspecified}); err == nil {
		t.Error("IPv6 host address accepted on an IPv4 network")
	}
}

func TestOverlapHostIP(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", true}, {"", "::", false}, {"0.0.0.0", "127.0.0.1", true}, {"::", "::1", true},
		{"::1", "127.0.0.1", false}, {"127.0.0.1", "127.0.0.2", false},
	} {
		if got := overlapHostIP(net.ParseIP(tc.a), net.ParseIP(tc.b)); got != tc.want {
			t.Errorf("overlap(%q, %q) = %t", tc.a, tc.b, got)
		}
	}
}
