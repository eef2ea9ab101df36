package network

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestDefaultBridgeIPv6: a daemon started with --ipv6 --fixed-cidr-v6
// gives the default bridge IPv6: containers get an address in the prefix
// (inspect, network inspect), and -p publishes on 0.0.0.0 and [::],
// reached from the host on [::1] and from another container through the
// bridge's IPv6 gateway (hairpin).
func TestDefaultBridgeIPv6(t *testing.T) {
	if _, err := exec.LookPath(dockerCLI); err != nil {
		t.Skip("docker CLI not installed")
	}
	d := daemon.New(t)
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "ip6", "berth-"+d.Bridge).Run() })
	d.Start(t, "--ipv6", "--fixed-cidr-v6", "fd42:9b::/64")
	d.ImportBusybox(t)
	if got := docker(t, d, "network", "inspect", "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}", "bridge"); !strings.HasPrefix(got, "true ") || !strings.Contains(got, "fd42:9b::/64") {
		t.Fatalf("network inspect bridge: %q", got)
	}
	port := freePort6(t)
	docker(t, d, "run", "-d", "--name", "web6", "--hostname", "web6", "-p", port+":80", "busybox", "sh", "-c", httpd)
	t.Cleanup(func() { _, _, _ = d.Run(t, "", dockerCLI, "rm", "-f", "web6") })
	ip6 := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.GlobalIPv6Address}}", "web6")
	if !strings.HasPrefix(ip6, "fd42:9b::1:0:") {
		t.Fatalf("web6 IPv6 address %q", ip6)
	}
	if ports := docker(t, d, "port", "web6", "80/tcp"); !strings.Contains(ports, "0.0.0.0:"+port) || !strings.Contains(ports, "[::]:"+port) {
		t.Errorf("docker port: %q", ports)
	}
	for _, url := range []string{"http://[::1]:" + port + "/", "http://127.0.0.1:" + port + "/"} {
		eventually(t, "from the host "+url, expectBody(url, "hello from web6"))
	}
	gw6 := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPv6Gateway}}", "web6")
	for _, url := range []string{"http://[" + ip6 + "]/", "http://[" + gw6 + "]:" + port + "/"} {
		out, e, code := d.Run(t, "", dockerCLI, "run", "--rm", "busybox", "timeout", "5", "wget", "-qO-", url)
		if code != 0 || strings.TrimSpace(out) != "hello from web6" {
			t.Errorf("from another container %s: exit %d %q %s", url, code, out, e)
		}
	}
	docker(t, d, "rm", "-f", "web6")
	if out, _ := exec.Command("nft", "list", "table", "ip6", "berth-"+d.Bridge).CombinedOutput(); strings.Contains(string(out), "dnat to") {
		t.Errorf("IPv6 port rules left after rm:\n%s", out)
	}
}
