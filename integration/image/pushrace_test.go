package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestConcurrentPushWithLogin pushes fresh images at the same time with
// the docker CLI and the berth CLI, against a registry with htpasswd
// login: one image under several tags of one repository, another image
// sharing its base layer to the same repository, and that image to a
// second repository. Two pushes uploading the same blob to one repository
// used to fail now and then with "digest invalid: provided digest did not
// match uploaded content" (the registry rewrites its blob link in place).
func TestConcurrentPushWithLogin(t *testing.T) {
	requireTool(t, dockerCLI)
	reg := registry.Start(t, registry.Options{Users: map[string]string{"alice": "s3cret"}})
	d := newDaemon(t)
	if out, errOut, code := d.Run(t, "s3cret\n", dockerCLI, "login", "-u", "alice", "--password-stdin", reg.Addr); code != 0 {
		t.Fatalf("login: exit %d %s %s", code, out, errOut)
	}
	repo, repo2 := reg.Addr+"/race/app", reg.Addr+"/race/other"
	for i := range 5 {
		base := freshImage(t, d, "busybox", fmt.Sprintf("%s:base%d", repo, i))
		app := freshImage(t, d, base, fmt.Sprintf("%s:%d-a", repo, i))
		other := freshImage(t, d, base, fmt.Sprintf("%s:%d-d", repo, i))
		docker(t, d, "tag", app, fmt.Sprintf("%s:%d-b", repo, i))
		docker(t, d, "tag", app, fmt.Sprintf("%s:%d-c", repo, i))
		docker(t, d, "tag", other, fmt.Sprintf("%s:%d", repo2, i))
		pushes := []struct{ cli, ref string }{
			{dockerCLI, fmt.Sprintf("%s:%d-a", repo, i)},
			{d.Binary, fmt.Sprintf("%s:%d-b", repo, i)},
			{dockerCLI, fmt.Sprintf("%s:%d-c", repo, i)},
			{d.Binary, fmt.Sprintf("%s:%d-d", repo, i)},
			{d.Binary, fmt.Sprintf("%s:%d", repo2, i)},
		}
		var wg sync.WaitGroup
		for _, p := range pushes {
			wg.Go(func() {
				out, errOut, code := d.Run(t, "", p.cli, "push", p.ref)
				if code != 0 || !strings.Contains(out, "digest: sha256:") {
					t.Errorf("iteration %d: %s push %s: exit %d\n%s%s", i, filepath.Base(p.cli), p.ref, code, out, errOut)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(reg.Dir, "registry.log"))
			t.Fatalf("registry log:\n%s", tail(string(log), 4000))
		}
	}
	// What was pushed concurrently pulls back whole.
	ref := repo + ":4-b"
	docker(t, d, "rmi", ref)
	docker(t, d, "pull", ref)
	if out := docker(t, d, "run", "--rm", ref, "sh", "-c", "wc -c < /payload"); strings.TrimSpace(out) != "1048576" {
		t.Errorf("payload of the pulled image: %q", out)
	}
}

// freshImage commits a container of from that wrote 1 MiB of random bytes
// to /payload as ref, so its top layer is new to the store and registry.
func freshImage(t *testing.T, d *daemon.Daemon, from, ref string) string {
	t.Helper()
	name := "src-" + strings.NewReplacer("/", "-", ":", "-", ".", "-").Replace(ref)
	docker(t, d, "run", "--name", name, from, "sh", "-c", "head -c 1048576 /dev/urandom > /payload")
	docker(t, d, "commit", name, ref)
	docker(t, d, "rm", name)
	return ref
}
