package network

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// createNetwork creates a network and removes it (and whatever a failed
// test left of it) at cleanup.
func createNetwork(t *testing.T, d *daemon.Daemon, name string, args ...string) string {
	t.Helper()
	id := docker(t, d, append(append([]string{"network", "create"}, args...), name)...)
	br := docker(t, d, "network", "inspect", "-f", `{{index .Options "com.docker.network.bridge.name"}}`, name)
	if br == "" || br == "<no value>" {
		br = "br-" + id[:12]
	}
	t.Cleanup(func() { removeNetwork(t, d, name, br) })
	return id
}

// removeNetwork removes a network the test made and, should that fail
// (containers still on it after a failure), its bridge and tables.
func removeNetwork(t *testing.T, d *daemon.Daemon, name, idOrBridge string) {
	br := idOrBridge
	if len(br) == 64 {
		br = bridgeOf(br)
	}
	_, _, _ = d.Run(t, "", dockerCLI, "network", "rm", name)
	_ = exec.Command("ip", "link", "del", br).Run()
	_ = exec.Command("nft", "delete", "table", "ip", "berth-"+br).Run()
	_ = exec.Command("nft", "delete", "table", "bridge", "berth-"+br).Run()
	_ = exec.Command("nft", "delete", "table", "ip6", "berth-"+br).Run()
}

func bridgeOf(id string) string { return "br-" + id[:12] }

// fails runs docker and expects a non-zero exit whose stderr contains want.
func fails(t *testing.T, d *daemon.Daemon, want string, args ...string) {
	t.Helper()
	_, e, code := d.Run(t, "", dockerCLI, args...)
	if code == 0 || !strings.Contains(e, want) {
		t.Errorf("docker %s: exit %d, stderr %q; want failure with %q", strings.Join(args, " "), code, e, want)
	}
}

// TestUserNetworks: create with subnet/gateway/ip-range/labels, ls and
// inspect; containers resolve each other's names and aliases through the
// embedded DNS; --ip; connect/disconnect live; errors; rm and prune leave
// no bridge or rules behind; all of it survives a daemon restart.
func TestUserNetworks(t *testing.T) {
	d := newDaemon(t)
	since := fmt.Sprint(time.Now().Unix())
	id := createNetwork(t, d, "appnet", "--subnet", "10.231.0.0/24", "--gateway", "10.231.0.254", "--ip-range", "10.231.0.128/25", "--label", "team=a")
	if ls := docker(t, d, "network", "ls", "--format", "{{.Name}} {{.Driver}}"); !strings.Contains(ls, "bridge bridge") ||
		!strings.Contains(ls, "host host") || !strings.Contains(ls, "none null") || !strings.Contains(ls, "appnet bridge") {
		t.Fatalf("network ls: %q", ls)
	}
	got := docker(t, d, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{.Labels.team}}", "appnet")
	if got != "10.231.0.0/24 10.231.0.254 10.231.0.128/25 a" {
		t.Fatalf("inspect: %q", got)
	}
	fails(t, d, "overlaps", "network", "create", "--subnet", "10.231.0.0/16", "clash")
	fails(t, d, "already exists", "network", "create", "appnet")
	fails(t, d, "not found", "run", "--rm", "--network", "nosuch", "busybox", "true")

	docker(t, d, "run", "-d", "--name", "web", "--hostname", "web", "--network", "appnet", "--network-alias", "www", "-p", "127.0.0.1::80", "busybox", "sh", "-c", httpd)
	published := docker(t, d, "port", "web", "80/tcp")
	eventually(t, "port published from a user network", expectBody("http://"+published+"/", "hello from web"))
	docker(t, d, "run", "-d", "--name", "c2", "--network", "appnet", "--ip", "10.231.0.10", "busybox", "sleep", "300")
	if ip := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.appnet.IPAddress}}", "c2"); ip != "10.231.0.10" {
		t.Errorf("--ip: %q", ip)
	}
	webIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.appnet.IPAddress}}", "web")
	if !strings.HasPrefix(webIP, "10.231.0.") || webIP < "10.231.0.128" {
		t.Errorf("web address %q outside the ip range", webIP)
	}
	if rc := docker(t, d, "exec", "c2", "cat", "/etc/resolv.conf"); !strings.Contains(rc, "nameserver 10.231.0.254") {
		t.Errorf("resolv.conf: %q", rc)
	}
	for _, name := range []string{"web", "www", docker(t, d, "inspect", "-f", "{{.Id}}", "web")[:12]} {
		out := docker(t, d, "exec", "c2", "nslookup", name)
		if !strings.Contains(out, webIP) {
			t.Errorf("nslookup %s from c2: %q", name, out)
		}
	}
	eventually(t, "http://www/ from c2", func() error {
		out, e, code := d.Run(t, "", dockerCLI, "exec", "c2", "wget", "-qO-", "http://www/")
		if code != 0 || !strings.Contains(out, "hello from web") {
			return fmt.Errorf("exit %d: %q %q", code, out, e)
		}
		return nil
	})
	// Several containers may share an alias (as in Docker); another
	// container's name is refused.
	docker(t, d, "run", "--rm", "--network", "appnet", "--network-alias", "www", "busybox", "true")
	fails(t, d, "already used", "run", "--rm", "--network", "appnet", "--network-alias", "web", "busybox", "true")
	fails(t, d, "active endpoints", "network", "rm", "appnet")

	testConnectDisconnect(t, d, webIP)
	checkEvents(t, d, since, "create appnet", "connect appnet", "disconnect appnet")
	since = fmt.Sprint(time.Now().Unix())

	// Daemon restart: the network, addresses and names survive.
	d.Kill(t)
	d.Start(t)
	if out := docker(t, d, "exec", "c2", "nslookup", "www"); !strings.Contains(out, webIP) {
		t.Errorf("nslookup after daemon restart: %q", out)
	}

	docker(t, d, "rm", "-f", "web", "c2")
	docker(t, d, "network", "rm", "appnet")
	if out, err := exec.Command("ip", "link", "show", bridgeOf(id)).CombinedOutput(); err == nil {
		t.Errorf("bridge left after network rm: %s", out)
	}
	if out, err := exec.Command("nft", "list", "table", "ip", "berth-"+bridgeOf(id)).CombinedOutput(); err == nil {
		t.Errorf("nft table left after network rm: %s", out)
	}
	checkEvents(t, d, since, "destroy appnet")
	createNetwork(t, d, "spare")
	if out := docker(t, d, "network", "prune", "-f"); !strings.Contains(out, "spare") {
		t.Errorf("prune: %q", out)
	}
	if ls := docker(t, d, "network", "ls", "-q", "--filter", "type=custom"); ls != "" {
		t.Errorf("networks left: %q", ls)
	}
}

// checkEvents expects network events (action and network name) since then.
func checkEvents(t *testing.T, d *daemon.Daemon, since string, want ...string) {
	t.Helper()
	evs := docker(t, d, "events", "--since", since, "--until", fmt.Sprint(time.Now().Unix()+1), "--filter", "type=network", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	for _, w := range want {
		if !strings.Contains(evs, w) {
			t.Errorf("network events lack %q: %q", w, evs)
		}
	}
}

// testConnectDisconnect: a container on the default bridge joins appnet
// live as eth1 with an alias, is found by name from appnet, and leaves.
func testConnectDisconnect(t *testing.T, d *daemon.Daemon, webIP string) {
	docker(t, d, "run", "-d", "--name", "lone", "busybox", "sleep", "300")
	t.Cleanup(func() { _, _, _ = d.Run(t, "", dockerCLI, "rm", "-f", "lone") })
	docker(t, d, "network", "connect", "--alias", "lonely", "appnet", "lone")
	fails(t, d, "already exists", "network", "connect", "appnet", "lone")
	addr := docker(t, d, "exec", "lone", "ip", "-o", "-4", "addr", "show", "eth1")
	if !strings.Contains(addr, "10.231.0.") {
		t.Fatalf("eth1 after connect: %q", addr)
	}
	if out := docker(t, d, "exec", "lone", "wget", "-qO-", "http://"+webIP+"/"); !strings.Contains(out, "hello from web") {
		t.Errorf("lone -> web over eth1: %q", out)
	}
	loneIP, _, _ := strings.Cut(strings.Fields(addr)[3], "/")
	if out := docker(t, d, "exec", "c2", "nslookup", "lonely"); !strings.Contains(out, loneIP) {
		t.Errorf("nslookup lonely: %q (eth1 %q)", out, addr)
	}
	if nets := docker(t, d, "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "lone"); nets != "appnet bridge" {
		t.Errorf("lone networks: %q", nets)
	}
	docker(t, d, "network", "disconnect", "appnet", "lone")
	if _, _, code := d.Run(t, "", dockerCLI, "exec", "lone", "ip", "link", "show", "eth1"); code == 0 {
		t.Error("eth1 still there after disconnect")
	}
	if _, _, code := d.Run(t, "", dockerCLI, "exec", "c2", "nslookup", "lonely"); code == 0 {
		t.Error("lonely still resolves after disconnect")
	}
	docker(t, d, "rm", "-f", "lone")
}

// TestNetworkIsolation: on an icc=false network containers reach the
// gateway (and resolve each other) but not each other; an internal
// network cannot reach containers on other networks; networks are
// isolated from each other.
func TestNetworkIsolation(t *testing.T) {
	d := newDaemon(t)
	createNetwork(t, d, "iso", "-o", "com.docker.network.bridge.enable_icc=false")
	createNetwork(t, d, "inner", "--internal")
	docker(t, d, "run", "-d", "--name", "ia", "--network", "iso", "busybox", "sleep", "300")
	docker(t, d, "run", "-d", "--name", "ib", "--network", "iso", "busybox", "sleep", "300")
	docker(t, d, "run", "-d", "--name", "outside", "busybox", "sleep", "300")
	docker(t, d, "run", "-d", "--name", "in1", "--network", "inner", "busybox", "sleep", "300")
	bIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.iso.IPAddress}}", "ib")
	gw := docker(t, d, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "iso")
	outsideIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "outside")
	ping := func(from, to string) bool {
		out, e, code := d.Run(t, "", dockerCLI, "exec", from, "ping", "-c", "1", "-W", "1", to)
		t.Logf("ping %s -> %s: exit %d %s %s", from, to, code, out, e)
		return code == 0
	}
	if !ping("ia", gw) {
		t.Error("icc=false: gateway unreachable")
	}
	if out := docker(t, d, "exec", "ia", "nslookup", "ib"); !strings.Contains(out, bIP) {
		t.Errorf("icc=false: name resolution: %q", out)
	}
	if ping("ia", bIP) {
		t.Error("icc=false: a reaches b")
	}
	if ping("ia", outsideIP) {
		t.Error("iso reaches a container on the default bridge")
	}
	if ping("in1", outsideIP) {
		t.Error("internal network reaches the default bridge")
	}
	docker(t, d, "rm", "-f", "ia", "ib", "outside", "in1")
}

// intranetHost makes a network namespace standing in for a machine on the
// host's intranet: 10.199.<n>.1, reached from the host over a veth.
func intranetHost(t *testing.T) string {
	t.Helper()
	n := fmt.Sprint(100 + time.Now().UnixNano()%150)
	ns, host, peer := "berthit"+n, "vhit"+n, "vpit"+n
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
	run("ip", "addr", "add", "10.199."+n+".2/24", "dev", host)
	run("ip", "link", "set", host, "up")
	run("ip", "-n", ns, "addr", "add", "10.199."+n+".1/24", "dev", peer)
	run("ip", "-n", ns, "link", "set", peer, "up")
	run("ip", "-n", ns, "link", "set", "lo", "up")
	run("ip", "-n", ns, "route", "add", "default", "via", "10.199."+n+".2")
	return "10.199." + n + ".1"
}

// TestBlockPrivateEgress: a network with berth.network.block_private=true
// cannot reach an intranet address (a netns the test creates) that a
// container on an ordinary network reaches; the embedded DNS still works.
func TestBlockPrivateEgress(t *testing.T) {
	d := newDaemon(t)
	target := intranetHost(t)
	createNetwork(t, d, "open")
	createNetwork(t, d, "locked", "-o", "berth.network.block_private=true")
	docker(t, d, "run", "-d", "--name", "free", "--network", "open", "busybox", "sleep", "300")
	docker(t, d, "run", "-d", "--name", "jailed", "--network", "locked", "busybox", "sleep", "300")
	docker(t, d, "run", "-d", "--name", "peer", "--network", "locked", "busybox", "sleep", "300")
	ping := func(from, to string) bool {
		_, _, code := d.Run(t, "", dockerCLI, "exec", from, "ping", "-c", "1", "-W", "2", to)
		return code == 0
	}
	if !ping("free", target) {
		t.Fatal("control: a container on an ordinary network cannot reach the intranet host")
	}
	if ping("jailed", target) {
		t.Error("block_private: the intranet host is reachable")
	}
	if out := docker(t, d, "exec", "jailed", "nslookup", "peer"); !strings.Contains(out, "Address") {
		t.Errorf("block_private: DNS: %q", out)
	}
	if !ping("jailed", "peer") {
		t.Error("block_private: containers on the same network cannot reach each other")
	}
	docker(t, d, "rm", "-f", "free", "jailed", "peer")
}
