package network

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBandwidthLimit: --label berth.bandwidth=8mbit shapes a container's
// traffic with tbf on both ends of its veth; a timed 2 MB download from
// another container takes about 2 s limited and a fraction of that without.
func TestBandwidthLimit(t *testing.T) {
	d := newDaemon(t)
	docker(t, d, "run", "-d", "--name", "srv", "busybox", "sh", "-c",
		"mkdir -p /www && dd if=/dev/zero of=/www/big bs=1024 count=2048 2>/dev/null && exec httpd -f -p 80 -h /www")
	srvIP := docker(t, d, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "srv")
	url := "http://" + srvIP + "/big"
	eventually(t, "server up", func() error {
		_, _, code := d.Run(t, "", dockerCLI, "exec", "srv", "wget", "-qO", "/dev/null", "http://127.0.0.1/big")
		if code != 0 {
			return exec.ErrNotFound
		}
		return nil
	})
	fetch := func(args ...string) time.Duration {
		t.Helper()
		start := time.Now()
		docker(t, d, append(append([]string{"run", "--rm"}, args...), "busybox", "wget", "-qO", "/dev/null", url)...)
		return time.Since(start)
	}
	free := fetch()
	limited := fetch("--label", "berth.bandwidth=8mbit")
	t.Logf("2 MB download: unlimited %v, 8mbit %v", free, limited)
	if limited < 1600*time.Millisecond || free > limited/2 {
		t.Errorf("bandwidth limit not effective: unlimited %v, 8mbit %v", free, limited)
	}
	docker(t, d, "run", "-d", "--name", "shaped", "--label", "berth.bandwidth=8mbit", "busybox", "sleep", "300")
	sandbox := docker(t, d, "inspect", "-f", "{{.NetworkSettings.SandboxKey}}", "shaped")
	out, err := exec.Command("nsenter", "--net="+sandbox, "tc", "qdisc", "show", "dev", "eth0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "tbf") || !strings.Contains(string(out), "rate 8Mbit") {
		t.Errorf("egress qdisc in the container: %v %s", err, out)
	}
	fails(t, d, "invalid berth.bandwidth", "run", "--rm", "--label", "berth.bandwidth=fast", "busybox", "true")
	docker(t, d, "rm", "-f", "srv", "shaped")
}
