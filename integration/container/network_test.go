package container

import (
	"os"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNetworkModesAndCleanup: default bridge gives eth0 an address and a
// route to the gateway; none has only lo; host sees the host's links.
// Removing containers leaves no veth, netns file or mount behind.
func TestNetworkModesAndCleanup(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := func(args ...string) (string, string, int) { return d.Run(t, "", dockerCLI, args...) }

	out, e, code := docker("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show eth0; ip route; ping -c1 -W2 $(ip route | awk '/default/{print $3}') >/dev/null && echo gw-ok; cat /etc/hosts /etc/resolv.conf /etc/hostname")
	if code != 0 || !strings.Contains(out, "eth0") || !strings.Contains(out, "default via") || !strings.Contains(out, "gw-ok") {
		t.Fatalf("bridge: %d %q %q", code, out, e)
	}
	if !strings.Contains(out, "localhost") || !strings.Contains(out, "nameserver") {
		t.Fatalf("host files: %q", out)
	}
	out, e, code = docker("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "lo") {
		t.Fatalf("none: %d %q %q", code, out, e)
	}
	out, e, code = docker("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
	if code != 0 || !strings.Contains(out, d.Bridge) {
		t.Fatalf("host: %d %q %q", code, out, e)
	}
	_, e, code = docker("run", "--rm", "--network", "nosuchnet", "busybox", "true")
	if code != 125 || !strings.Contains(e, "not found") {
		t.Fatalf("unknown network: %d %q", code, e)
	}

	// Leftovers after a removed container.
	id, _, _ := docker("run", "-d", "busybox", "sleep", "100")
	id = strings.TrimSpace(id)
	if _, e, code := docker("rm", "-f", id); code != 0 {
		t.Fatal(e)
	}
	links, _ := exec.Command("ip", "-o", "link", "show", "master", d.Bridge).Output()
	if strings.TrimSpace(string(links)) != "" {
		t.Fatalf("veths left on bridge: %s", links)
	}
	if ents, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns")); len(ents) != 0 {
		t.Fatalf("netns files left: %v", ents)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), filepath.Join(d.Root, "containers")) {
		t.Fatalf("mounts left under %s", d.Root)
	}
	if _, err := os.Stat(filepath.Join(d.Root, "containers", id)); err == nil {
		t.Fatalf("container dir left")
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/berth-test-" + d.Bridge + "/*")
	for _, cg := range cgroups {
		if fi, err := os.Stat(cg); err == nil && fi.IsDir() {
			t.Fatalf("cgroup left: %s", cg)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.ExecRoot, "runc")); len(ents) != 0 {
		t.Fatalf("runc state left: %v", ents)
	}
}

// TestNativeStorageDriver runs containers on the copying snapshotter used
// where overlayfs is unavailable.
func TestNativeStorageDriver(t *testing.T) {
	d := daemon.New(t)
	d.Start(t, "--storage-driver", "native")
	d.ImportBusybox(t)
	out, e, code := d.Run(t, "", d.Binary, "run", "--rm", "busybox", "sh", "-c", "echo data > /tmp/f && cat /tmp/f && grep -c ' / ' /proc/mounts")
	if code != 0 || !strings.HasPrefix(out, "data\n") {
		t.Fatalf("native run: %d %q %q", code, out, e)
	}
	if out, _, _ := d.Run(t, "", d.Binary, "info", "--format", "{{.Driver}}"); strings.TrimSpace(out) != "native" {
		t.Fatalf("driver: %q", out)
	}
}
