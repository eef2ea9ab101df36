package network

import (
	"strings"
	"testing"
)

// TestContainerNetworkOptions: --dns, --dns-search, --dns-option,
// --add-host (with host-gateway), --hostname/--domainname, --mac-address
// and --ip on the default bridge, --network container:<name>, and legacy
// links (environment and /etc/hosts).
func TestContainerNetworkOptions(t *testing.T) {
	d := newDaemon(t)
	rc := docker(t, d, "run", "--rm", "--dns", "10.0.0.53", "--dns-search", "example.test", "--dns-option", "ndots:3", "busybox", "cat", "/etc/resolv.conf")
	for _, want := range []string{"nameserver 10.0.0.53", "search example.test", "options ndots:3"} {
		if !strings.Contains(rc, want) {
			t.Errorf("resolv.conf lacks %q: %q", want, rc)
		}
	}
	gw := docker(t, d, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "bridge")
	hosts := docker(t, d, "run", "--rm", "--add-host", "foo:1.2.3.4", "--add-host", "gw:host-gateway",
		"--hostname", "h1", "--domainname", "example.test", "busybox", "sh", "-c", "cat /etc/hosts; hostname")
	for _, want := range []string{"1.2.3.4\tfoo", gw + "\tgw", "h1.example.test h1", "\nh1"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("hosts/hostname lack %q: %q", want, hosts)
		}
	}
	subnet := docker(t, d, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "bridge")
	fixed := strings.TrimSuffix(gw, ".1") + ".200"
	if !strings.HasSuffix(gw, ".1") || !strings.HasSuffix(subnet, "/16") {
		t.Fatalf("unexpected default bridge %s %s", subnet, gw)
	}
	out := docker(t, d, "run", "--rm", "--mac-address", "02:42:ac:11:00:99", "--ip", fixed, "busybox", "sh", "-c", "ip -o link show eth0; ip -o -4 addr show eth0")
	if !strings.Contains(out, "02:42:ac:11:00:99") || !strings.Contains(out, fixed+"/") {
		t.Errorf("--mac-address/--ip: %q", out)
	}

	docker(t, d, "run", "-d", "--name", "web", "--hostname", "web", "busybox", "sh", "-c", httpd)
	webIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "web")
	if legacy := docker(t, d, "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"); legacy != webIP {
		t.Errorf("legacy NetworkSettings.IPAddress %q, want %q", legacy, webIP)
	}
	out = docker(t, d, "run", "--rm", "--network", "container:web", "busybox", "sh", "-c", "ip -o -4 addr show eth0; sleep 0.5; wget -qO- http://127.0.0.1/")
	if !strings.Contains(out, webIP+"/") || !strings.Contains(out, "hello from web") {
		t.Errorf("--network container:web: %q", out)
	}
	fails(t, d, "No such container", "run", "--rm", "--network", "container:nosuch", "busybox", "true")

	docker(t, d, "run", "-d", "--name", "db", "-e", "SECRET=s3", "--expose", "5432", "busybox", "sleep", "300")
	dbIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "db")
	out = docker(t, d, "run", "--rm", "--name", "app", "--link", "db:pg", "busybox", "sh", "-c", "env; cat /etc/hosts")
	for _, want := range []string{"PG_NAME=/app/pg", "PG_PORT=tcp://" + dbIP + ":5432", "PG_PORT_5432_TCP_ADDR=" + dbIP,
		"PG_PORT_5432_TCP_PORT=5432", "PG_PORT_5432_TCP_PROTO=tcp", "PG_ENV_SECRET=s3", dbIP + "\tpg"} {
		if !strings.Contains(out, want) {
			t.Errorf("link lacks %q:\n%s", want, out)
		}
	}
	fails(t, d, "could not get container", "run", "--rm", "--link", "nosuch:x", "busybox", "true")
	docker(t, d, "rm", "-f", "web", "db")
}
