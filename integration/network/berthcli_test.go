package network

import (
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// berth runs the berth CLI against d and fails t on a non-zero exit.
func berth(t *testing.T, d *daemon.Daemon, args ...string) string {
	t.Helper()
	out, errOut, code := d.Run(t, "", d.Binary, args...)
	if code != 0 {
		t.Fatalf("berth %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// TestBerthNetworkCLI drives `berth network` create/ls/inspect/connect/
// disconnect/rm/prune.
func TestBerthNetworkCLI(t *testing.T) {
	d := newDaemon(t)
	id := berth(t, d, "network", "create", "--subnet", "10.232.0.0/24", "--label", "k=v", "clinet")
	t.Cleanup(func() { removeNetwork(t, d, "clinet", id) })
	if ls := berth(t, d, "network", "ls"); !strings.Contains(ls, "NETWORK ID") || !strings.Contains(ls, id[:12]+"   clinet") {
		t.Errorf("ls:\n%s", ls)
	}
	if got := berth(t, d, "network", "inspect", "-f", "{{.Name}} {{.Labels.k}}", "clinet"); got != "clinet v" {
		t.Errorf("inspect: %q", got)
	}
	berth(t, d, "run", "-d", "--name", "cc", "busybox", "sleep", "300")
	berth(t, d, "network", "connect", "--alias", "cee", "--ip", "10.232.0.9", "clinet", "cc")
	if out := berth(t, d, "exec", "cc", "ip", "-o", "-4", "addr", "show", "eth1"); !strings.Contains(out, "10.232.0.9/24") {
		t.Errorf("eth1: %q", out)
	}
	berth(t, d, "network", "disconnect", "clinet", "cc")

	// berth run's networking flags.
	berth(t, d, "run", "-d", "--name", "pweb", "--hostname", "pweb", "-p", "127.0.0.1::80", "--expose", "9000",
		"--network", "clinet", "--network-alias", "pw", "--dns-search", "x.test", "--add-host", "h:1.2.3.4", "busybox", "sh", "-c", httpd)
	eventually(t, "berth run -p", expectBody("http://"+berth(t, d, "port", "pweb", "80/tcp")+"/", "hello from pweb"))
	if all := berth(t, d, "port", "pweb"); !strings.HasPrefix(all, "80/tcp -> 127.0.0.1:") {
		t.Errorf("berth port: %q", all)
	}
	if out := berth(t, d, "exec", "cc", "cat", "/etc/resolv.conf"); out == "" {
		t.Error("no resolv.conf")
	}
	if out := berth(t, d, "exec", "pweb", "sh", "-c", "cat /etc/resolv.conf /etc/hosts"); !strings.Contains(out, "search x.test") || !strings.Contains(out, "1.2.3.4\th") {
		t.Errorf("berth run --dns-search/--add-host: %q", out)
	}
	if ps := docker(t, d, "ps", "--format", "{{.Ports}}", "--filter", "name=pweb"); !strings.Contains(ps, "9000/tcp") {
		t.Errorf("--expose: %q", ps)
	}
	berth(t, d, "rm", "-f", "pweb")
	berth(t, d, "rm", "-f", "cc")
	berth(t, d, "network", "rm", "clinet")
	spare := berth(t, d, "network", "create", "spare2")
	t.Cleanup(func() { removeNetwork(t, d, "spare2", spare) })
	if out := berth(t, d, "network", "prune", "-f"); !strings.Contains(out, "spare2") {
		t.Errorf("prune: %q", out)
	}
}
