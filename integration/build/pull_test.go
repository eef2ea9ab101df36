package build

import (
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestBuildPullsBaseImage: a FROM image missing locally is pulled (from a
// registry on loopback), as the classic builder does.
func TestBuildPullsBaseImage(t *testing.T) {
	d := newDaemon(t)
	reg := registry.Start(t, registry.Options{})
	repo := reg.Addr + "/lib/busybox:v1"
	docker(t, d, "tag", "busybox", repo)
	docker(t, d, "push", repo)
	docker(t, d, "rmi", repo, "busybox")
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + repo + "\nRUN echo pulled-base\n"})
	out := docker(t, d, "build", "-t", "pulled:1", dir)
	for _, want := range []string{"Pulling from lib/busybox", "pulled-base", "Successfully tagged pulled:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out := docker(t, d, "build", "--pull", dir); !strings.Contains(out, "Image is up to date") {
		t.Errorf("--pull output:\n%s", out)
	}
}
