package network

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBlockPrivateKeepsMirror: on a network with
// berth.network.block_private=true, Debian's mirror stays reachable by
// name (resolved through Berth's embedded DNS, which forwards to the
// host's resolver) while hosts the test creates on 10.x and 192.168.x
// addresses (network namespaces reached from the host) are not.
func TestBlockPrivateKeepsMirror(t *testing.T) {
	if addrs, err := net.LookupHost("deb.debian.org"); err != nil || len(addrs) == 0 {
		t.Skipf("deb.debian.org does not resolve on this host: %v", err)
	}
	d := newDaemon(t)
	targets := []string{privateHost(t, "10.198"), privateHost(t, "192.168")}
	createNetwork(t, d, "egress", "-o", "berth.network.block_private=true")
	docker(t, d, "run", "-d", "--name", "mirror", "--network", "egress", "busybox", "sleep", "300")
	t.Cleanup(func() { _, _, _ = d.Run(t, "", dockerCLI, "rm", "-f", "mirror") })

	gw := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.egress.Gateway}}", "mirror")
	if rc := docker(t, d, "exec", "mirror", "cat", "/etc/resolv.conf"); !strings.Contains(rc, "nameserver "+gw) {
		t.Errorf("resolv.conf does not name Berth's DNS on %s:\n%s", gw, rc)
	}
	out, e, code := d.Run(t, "", dockerCLI, "exec", "mirror", "timeout", "30", "wget", "-q", "-O-", "http://deb.debian.org/debian/dists/bookworm/Release")
	if code != 0 || !strings.Contains(out, "Codename: bookworm") {
		t.Errorf("Debian mirror from a block_private network: exit %d, stderr %q, %d bytes", code, e, len(out))
	}
	for _, ip := range targets {
		if err := exec.Command("/bin/busybox", "ping", "-c", "1", "-W", "2", ip).Run(); err != nil {
			t.Fatalf("control: the host cannot reach %s: %v", ip, err)
		}
		if _, _, code := d.Run(t, "", dockerCLI, "exec", "mirror", "ping", "-c", "1", "-W", "2", ip); code == 0 {
			t.Errorf("block_private: private host %s answers ping", ip)
		}
	}
}

// privateHost makes a network namespace standing in for a machine of the
// host's intranet at <prefix>.<n>.1 (prefix "10.198" or "192.168"),
// reached from the host over a veth; it answers ping. Removed at cleanup.
func privateHost(t *testing.T, prefix string) string {
	t.Helper()
	var subnet, tag string
	for i := range 50 {
		n := 200 + (time.Now().Nanosecond()/1000+i)%50
		subnet, tag = fmt.Sprintf("%s.%d", prefix, n), fmt.Sprintf("%d%d", len(prefix), n)
		if !hostUses(t, subnet+".0") {
			break
		}
	}
	ns, host, peer := "berthph"+tag, "vhph"+tag, "vpph"+tag
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", host).Run()
		_ = exec.Command("ip", "netns", "del", ns).Run()
	})
	run("ip", "netns", "add", ns)
	run("ip", "link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns)
	run("ip", "addr", "add", subnet+".2/24", "dev", host)
	run("ip", "link", "set", host, "up")
	run("ip", "-n", ns, "addr", "add", subnet+".1/24", "dev", peer)
	run("ip", "-n", ns, "link", "set", peer, "up")
	run("ip", "-n", ns, "link", "set", "lo", "up")
	run("ip", "-n", ns, "route", "add", "default", "via", subnet+".2")
	return subnet + ".1"
}

// hostUses reports whether a /24 starting at network overlaps a network
// of the host's addresses.
func hostUses(t *testing.T, network string) bool {
	t.Helper()
	_, mine, _ := net.ParseCIDR(network + "/24")
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && (n.Contains(mine.IP) || mine.Contains(n.IP)) {
			return true
		}
	}
	return false
}
