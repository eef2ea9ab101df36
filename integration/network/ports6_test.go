package network

import (
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"
)

// TestPublishedPortsIPv6: on a network created with --ipv6, -p without a
// host address publishes on 0.0.0.0 and [::] (the same host port), which
// docker port and inspect report; the container answers from the host on
// [::1] and on the host's IPv6 address, and from another container on the
// network (hairpin through the gateway's IPv6 address); -p [::1]:… binds
// IPv6 loopback only; an IPv6 host address on an IPv4-only network is
// refused; the bindings survive a daemon restart; rm leaves no IPv6
// port rule.
func TestPublishedPortsIPv6(t *testing.T) {
	d := newDaemon(t)
	id := createNetwork(t, d, "pub6", "--ipv6", "--subnet", "fd42:89::/64")
	createNetwork(t, d, "only4")
	fixed, lo6 := freePort6(t), freePort6(t)
	docker(t, d, "run", "-d", "--name", "web6", "--hostname", "web6", "--network", "pub6",
		"-p", fixed+":80", "-p", "[::1]:"+lo6+":80", "busybox", "sh", "-c", httpd)

	ports := docker(t, d, "port", "web6", "80/tcp")
	for _, want := range []string{"0.0.0.0:" + fixed, "[::]:" + fixed, "[::1]:" + lo6} {
		if !strings.Contains(ports, want) {
			t.Errorf("docker port: %q lacks %s", ports, want)
		}
	}
	var pm network.PortMap
	if err := json.Unmarshal([]byte(docker(t, d, "inspect", "-f", "{{json .NetworkSettings.Ports}}", "web6")), &pm); err != nil {
		t.Fatal(err)
	}
	var hostIPs []string
	for _, b := range pm[network.MustParsePort("80/tcp")] {
		hostIPs = append(hostIPs, b.HostIP.String()+" "+b.HostPort)
	}
	if got := strings.Join(hostIPs, ","); got != "0.0.0.0 "+fixed+",:: "+fixed+",::1 "+lo6 {
		t.Errorf("inspect 80/tcp bindings: %s", got)
	}

	urls := []string{"http://127.0.0.1:" + fixed + "/", "http://[::1]:" + fixed + "/", "http://[::1]:" + lo6 + "/"}
	if h6 := hostAddr6(t, d.Bridge); h6 != "" {
		urls = append(urls, "http://["+h6+"]:"+fixed+"/")
	}
	for _, url := range urls {
		eventually(t, "from the host "+url, expectBody(url, "hello from web6"))
	}
	if _, err := get("http://127.0.0.1:" + lo6 + "/"); err == nil {
		t.Errorf("port published on [::1] answers on 127.0.0.1")
	}
	gw6 := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.pub6.IPv6Gateway}}", "web6")
	out, e, code := d.Run(t, "", dockerCLI, "run", "--rm", "--network", "pub6", "busybox", "timeout", "5", "wget", "-qO-", "http://["+gw6+"]:"+fixed+"/")
	if code != 0 || strings.TrimSpace(out) != "hello from web6" {
		t.Errorf("hairpin over IPv6 via [%s]: exit %d %q %s", gw6, code, out, e)
	}

	fails(t, d, "no IPv6", "run", "--rm", "--network", "only4", "-p", "[::]:"+freePort6(t)+":80", "busybox", "true")

	// A daemon restart keeps the IPv6 bindings, [::1] included.
	d.Stop(t)
	d.Start(t)
	for _, url := range []string{"http://[::1]:" + fixed + "/", "http://[::1]:" + lo6 + "/"} {
		eventually(t, "after a daemon restart "+url, expectBody(url, "hello from web6"))
	}
	docker(t, d, "rm", "-f", "web6")
	out6, _ := exec.Command("nft", "list", "table", "ip6", "berth-"+bridgeOf(id)).CombinedOutput()
	if strings.Contains(string(out6), "dnat to") || strings.Contains(string(out6), "saddr set") {
		t.Errorf("IPv6 port rules left after rm:\n%s", out6)
	}
	if _, err := get("http://[::1]:" + fixed + "/"); err == nil {
		t.Error("port still answers on [::1] after rm")
	}
}

// freePort6 is a TCP port free on both 0.0.0.0 and [::].
func freePort6(t *testing.T) string {
	t.Helper()
	for range 20 {
		p := freePort(t)
		if l, err := net.Listen("tcp6", "[::]:"+p); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no port free on both families")
	return ""
}

// hostAddr6 is one of the host's global IPv6 addresses outside Berth's
// bridges, "" when it has none.
func hostAddr6(t *testing.T, bridge string) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || i.Flags&net.FlagUp == 0 || i.Name == bridge || strings.HasPrefix(i.Name, "br-") ||
			strings.HasPrefix(i.Name, "bt") || strings.HasPrefix(i.Name, "vb") || strings.HasPrefix(i.Name, "berth") {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && n.IP.IsGlobalUnicast() {
				return n.IP.String()
			}
		}
	}
	return ""
}
