package image

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestCrashDuringPush kills the daemon while a push is half-way (the
// registry stops receiving behind a proxy). After the restart the image is
// intact and runs, nothing is left in ingest or half-unpacked, and pushing
// again completes; a pull of the pushed image gives the same content.
func TestCrashDuringPush(t *testing.T) {
	requireTool(t, dockerCLI)
	src := registry.Start(t, registry.Options{})
	dst := registry.Start(t, registry.Options{})
	d := newDaemon(t)
	repo := src.Addr + "/crash/push"
	buildBigImage(t, d, repo+":v1")

	proxy, stalled := stallProxy(t, dst.Addr, 6<<20, true)
	via := proxy + "/crash/push:v1"
	docker(t, d, "tag", repo+":v1", via)
	cmd := startDocker(t, d, nil, "push", via)
	select {
	case <-stalled:
	case <-time.After(60 * time.Second):
		t.Fatalf("push never reached the stall point\n%s", tail(d.Log(), 2000))
	}
	crashAndRestart(t, d, cmd)

	s := storeState(t, d)
	if s.ingest != 0 || s.tmp != 0 {
		t.Fatalf("partial data after restart: %+v", s)
	}
	if out := docker(t, d, "run", "--rm", via, "sh", "-c", "wc -c < /layer3"); strings.TrimSpace(out) != "8000000" {
		t.Fatalf("image after crash: %q", out)
	}
	direct := dst.Addr + "/crash/push:v1"
	docker(t, d, "tag", via, direct)
	docker(t, d, "push", direct)
	docker(t, d, "rmi", via, direct, repo+":v1")
	docker(t, d, "pull", direct)
	if out := docker(t, d, "run", "--rm", direct, "sh", "-c", "wc -c < /layer1"); strings.TrimSpace(out) != "8000000" {
		t.Fatalf("pulled after re-push: %q", out)
	}
}
