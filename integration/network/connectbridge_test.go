package network

import (
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestConnectDefaultBridge: network connect/disconnect on the default
// bridge work live, like on user networks: a container started on a user
// network gets an interface on the bridge and reaches a container there;
// the membership survives a restart of the container and of the daemon;
// disconnect removes the interface. Docker's refusals: aliases and fixed
// addresses on the default bridge, containers in none/host/container mode,
// connecting twice, host and none as targets.
func TestConnectDefaultBridge(t *testing.T) {
	d := newDaemon(t)
	createNetwork(t, d, "side", "--subnet", "10.232.0.0/24")
	t.Cleanup(func() {
		_, _, _ = d.Run(t, "", dockerCLI, "rm", "-f", "onbr", "app", "app2", "nonet", "hostnet")
	})
	docker(t, d, "run", "-d", "--name", "onbr", "--hostname", "onbr", "busybox", "sh", "-c", httpd)
	docker(t, d, "run", "-d", "--name", "app", "--network", "side", "busybox", "sleep", "300")
	brIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "onbr")
	_, subnet, err := net.ParseCIDR(docker(t, d, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "bridge"))
	if err != nil {
		t.Fatal(err)
	}

	docker(t, d, "network", "connect", "bridge", "app")
	checkOnBridge(t, d, "app", "eth1", subnet, brIP)
	if c := docker(t, d, "network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "bridge"); !strings.Contains(c, "app") {
		t.Errorf("network inspect bridge: containers %q", c)
	}
	fails(t, d, "already exists", "network", "connect", "bridge", "app")
	fails(t, d, "already exists", "network", "connect", "bridge", "onbr")

	docker(t, d, "create", "--name", "app2", "--network", "side", "busybox", "sleep", "300")
	fails(t, d, "network-scoped alias is supported only for containers in user defined networks", "network", "connect", "--alias", "x", "bridge", "app2")
	fails(t, d, "user specified IP address is supported on user defined networks only", "network", "connect", "--ip", "10.1.2.3", "bridge", "app2")
	docker(t, d, "create", "--name", "nonet", "--network", "none", "busybox", "sleep", "300")
	fails(t, d, "private (none) mode", "network", "connect", "bridge", "nonet")
	fails(t, d, "private (none) mode", "network", "connect", "side", "nonet")
	docker(t, d, "create", "--name", "hostnet", "--network", "host", "busybox", "sleep", "300")
	fails(t, d, "cannot be connected to any other network", "network", "connect", "bridge", "hostnet")
	fails(t, d, "connected to host network", "network", "connect", "host", "app")
	fails(t, d, "private (none) mode", "network", "connect", "none", "app")

	// Connected while stopped: attached at start.
	docker(t, d, "network", "connect", "bridge", "app2")
	docker(t, d, "start", "app2")
	checkOnBridge(t, d, "app2", "eth1", subnet, brIP)

	// The membership outlives a container restart and a daemon restart.
	docker(t, d, "restart", "-t", "0", "app")
	checkOnBridge(t, d, "app", "eth1", subnet, brIP)
	d.Stop(t)
	d.Start(t)
	checkOnBridge(t, d, "app", "eth1", subnet, brIP)

	docker(t, d, "network", "disconnect", "bridge", "app")
	if _, _, code := d.Run(t, "", dockerCLI, "exec", "app", "ip", "link", "show", "eth1"); code == 0 {
		t.Error("eth1 still there after disconnect")
	}
	if nets := docker(t, d, "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "app"); nets != "side" {
		t.Errorf("networks after disconnect: %q", nets)
	}
	fails(t, d, "not connected", "network", "disconnect", "bridge", "app")
	fails(t, d, "cannot be disconnected while running", "network", "disconnect", "bridge", "onbr")
	docker(t, d, "rm", "-f", "onbr", "app", "app2", "nonet", "hostnet")
	if out, _ := exec.Command("ip", "-o", "link", "show", "master", d.Bridge).Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("veths left on %s: %s", d.Bridge, out)
	}
}

// checkOnBridge: container name has ifname on the default bridge's subnet,
// inspect lists the bridge among its networks with that address, and it
// reaches the web server at peer over it.
func checkOnBridge(t *testing.T, d *daemon.Daemon, name, ifname string, subnet *net.IPNet, peer string) {
	t.Helper()
	f := strings.Fields(docker(t, d, "exec", name, "ip", "-o", "-4", "addr", "show", ifname))
	if len(f) < 4 {
		t.Fatalf("%s %s: no IPv4 address", name, ifname)
	}
	ip, _, _ := strings.Cut(f[3], "/")
	if !subnet.Contains(net.ParseIP(ip)) {
		t.Errorf("%s %s address %s is not in the default bridge's %s", name, ifname, ip, subnet)
	}
	if got := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", name); got != ip {
		t.Errorf("%s inspect bridge address %q, interface has %s", name, got, ip)
	}
	eventually(t, name+" -> "+peer+" over the default bridge", func() error {
		_, e, code := d.Run(t, "", dockerCLI, "exec", name, "timeout", "3", "wget", "-qO-", "http://"+peer+"/")
		if code != 0 {
			return errors.New("wget: " + e)
		}
		return nil
	})
}
