package network

import (
	"os/exec"
	"strings"
	"testing"
)

// TestIPv6Network: --ipv6 with a subnet gives containers an IPv6 address
// and route; they reach each other over IPv6 and the embedded DNS answers
// AAAA; --ipv6 alone picks a ULA /64; rm removes the ip6 table.
func TestIPv6Network(t *testing.T) {
	d := newDaemon(t)
	id := createNetwork(t, d, "net6", "--ipv6", "--subnet", "fd42:88::/64")
	if got := docker(t, d, "network", "inspect", "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}", "net6"); !strings.HasPrefix(got, "true ") || !strings.Contains(got, "fd42:88::/64") {
		t.Fatalf("inspect: %q", got)
	}
	docker(t, d, "run", "-d", "--name", "v6a", "--network", "net6", "busybox", "sleep", "300")
	docker(t, d, "run", "-d", "--name", "v6b", "--network", "net6", "busybox", "sleep", "300")
	b6 := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.net6.GlobalIPv6Address}}", "v6b")
	if !strings.HasPrefix(b6, "fd42:88::1:0:") {
		t.Fatalf("v6b address %q", b6)
	}
	if out, e, code := d.Run(t, "", dockerCLI, "exec", "v6a", "ping", "-c", "1", "-W", "2", b6); code != 0 {
		t.Errorf("ping v6b over IPv6: %s %s", out, e)
	}
	if out := docker(t, d, "exec", "v6a", "nslookup", "-type=AAAA", "v6b"); !strings.Contains(out, b6) {
		t.Errorf("AAAA v6b: %q", out)
	}
	id2 := createNetwork(t, d, "ula", "--ipv6")
	if got := docker(t, d, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", "ula"); !strings.Contains(got, " fd") {
		t.Errorf("auto IPv6 subnet: %q", got)
	}
	docker(t, d, "rm", "-f", "v6a", "v6b")
	docker(t, d, "network", "rm", "net6", "ula")
	for _, nid := range []string{id, id2} {
		if out, err := exec.Command("nft", "list", "table", "ip6", "berth-"+bridgeOf(nid)).CombinedOutput(); err == nil {
			t.Errorf("ip6 table left: %s", out)
		}
	}
}
