package network

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCrashCleanup: a container on a user network with a published port
// dies while the daemon is down; the next daemon start leaves no veth,
// netns, port rule or endpoint of it, so the network can be removed.
func TestCrashCleanup(t *testing.T) {
	d := newDaemon(t)
	id := createNetwork(t, d, "cnet")
	docker(t, d, "run", "-d", "--name", "victim", "--network", "cnet", "-p", "127.0.0.1::80", "busybox", "sh", "-c", httpd)
	pid, err := strconv.Atoi(docker(t, d, "inspect", "-f", "{{.State.Pid}}", "victim"))
	if err != nil {
		t.Fatal(err)
	}
	d.Kill(t)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	d.Start(t)
	if st := docker(t, d, "inspect", "-f", "{{.State.Status}}", "victim"); st != "exited" {
		t.Fatalf("victim %s", st)
	}
	if out, _ := exec.Command("ip", "-o", "link", "show", "master", bridgeOf(id)).Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("veths left on %s: %s", bridgeOf(id), out)
	}
	if ents, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns")); len(ents) != 0 {
		t.Errorf("netns files left: %v", ents)
	}
	out, err := exec.Command("nft", "list", "chain", "ip", "berth-"+bridgeOf(id), "ports").CombinedOutput()
	if err != nil || strings.Contains(string(out), "dnat") {
		t.Errorf("port rules left: %v %s", err, out)
	}
	if c := docker(t, d, "network", "inspect", "-f", "{{len .Containers}}", "cnet"); c != "0" {
		t.Errorf("endpoints left: %s", c)
	}
	docker(t, d, "network", "rm", "cnet")
}
