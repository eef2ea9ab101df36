package bridge

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestRulesGolden(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("172.18.0.0/16")
	golden(t, "testdata/rules.golden", newRuleSet("berth", "berth0", subnet).render())
}

// golden compares got with the file at path (go test -update rewrites it).
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("rules differ from %s (go test -update to accept):\n%s", path, got)
	}
}

func TestPortRulesGolden(t *testing.T) {
	ctr := net.ParseIP("172.18.0.2")
	rules := []PortMapping{
		{Proto: "tcp", HostPort: 8080, ContainerPort: 80},
		{Proto: "udp", HostIP: net.ParseIP("127.0.0.1"), HostPort: 5353, ContainerPort: 53},
	}
	var b strings.Builder
	for _, m := range rules {
		fmt.Fprintf(&b, "%s -> %s:%d\n    %s\n", m, ctr, m.ContainerPort, renderRule(portRule(m, ctr)))
	}
	golden(t, "testdata/ports.golden", b.String())
}

func TestUserRulesGolden(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("172.19.0.0/16")
	golden(t, "testdata/rules-internal-noicc.golden", newRuleSet("berth-br-x", "br-x", subnet).withIsolation("br-x", "vn1234", true, false).render())
	golden(t, "testdata/rules-block-private.golden", newRuleSet("berth-br-y", "br-y", subnet).withBlockPrivate("br-y", true).render())
}

func TestIPv6RulesGolden(t *testing.T) {
	_, s6, _ := net.ParseCIDR("fd42:77::/64")
	var b strings.Builder
	for _, internal := range []bool{false, true} {
		n := &Network{cfg: Config{BridgeName: "br-6", TableName: "berth-br-6", Internal: internal}, subnet6: s6}
		rs := n.rules6()
		fmt.Fprintf(&b, "table ip6 %s (internal=%t)\n  chain %s\n", rs.table, internal, chainPostrouting)
		writeRules(&b, rs.postrouting)
		fmt.Fprintf(&b, "  chain %s\n", chainForward)
		writeRules(&b, rs.forward)
	}
	golden(t, "testdata/rules-ipv6.golden", b.String())
}
