package network

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/network/manager"
	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestCrashDuringNetworkCreate: a daemon SIGKILLed while `network create`
// has made the bridge, its nftables tables (ip, ip6) and DNS but not yet
// answered leaves, after the next start, no bridge, no table, no record
// and no subnet reservation: the same create then succeeds.
func TestCrashDuringNetworkCreate(t *testing.T) {
	if _, err := exec.LookPath(dockerCLI); err != nil {
		t.Skip("docker CLI not installed")
	}
	d := daemon.New(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	br := "btcc" + hex.EncodeToString(b)
	t.Cleanup(func() { removeNetwork(t, d, "crashnet", br) })
	args := []string{"network", "create", "--subnet", "10.237.5.0/24", "--ipv6", "--subnet", "fd42:237::/64",
		"-o", "com.docker.network.bridge.name=" + br, "crashnet"}

	t.Setenv(manager.FaultEnv, "network-create-after-bridge")
	d.Start(t)
	os.Unsetenv(manager.FaultEnv) // the restarted daemon runs normally
	done := make(chan int, 1)
	go func() {
		_, _, code := d.Run(t, "", dockerCLI, args...)
		done <- code
	}()
	waitFor(t, "bridge and tables of the network being created", func() bool {
		return exec.Command("ip", "link", "show", br).Run() == nil &&
			exec.Command("nft", "list", "table", "ip6", "berth-"+br).Run() == nil
	})
	d.Kill(t)
	if code := <-done; code == 0 {
		t.Fatal("network create succeeded although the daemon was killed")
	}

	d.Start(t)
	if out, err := exec.Command("ip", "link", "show", br).CombinedOutput(); err == nil {
		t.Errorf("bridge left after restart: %s", out)
	}
	for _, family := range []string{"ip", "ip6", "bridge"} {
		if out, err := exec.Command("nft", "list", "table", family, "berth-"+br).CombinedOutput(); err == nil {
			t.Errorf("nft table %s berth-%s left after restart: %s", family, br, out)
		}
	}
	if recs, _ := filepath.Glob(filepath.Join(d.Root, "network", "networks", "*.json")); len(recs) != 0 {
		t.Errorf("network records left: %v", recs)
	}
	if ls := docker(t, d, "network", "ls", "--format", "{{.Name}}"); strings.Contains(ls, "crashnet") {
		t.Errorf("network listed after restart: %q", ls)
	}
	docker(t, d, append([]string{"network", "create"}, args[2:]...)...)
	docker(t, d, "network", "rm", "crashnet")
	if out, err := exec.Command("ip", "link", "show", br).CombinedOutput(); err == nil {
		t.Errorf("bridge left after rm: %s", out)
	}
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
