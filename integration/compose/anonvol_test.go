package compose

import (
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// TestComposeRecreateKeepsAnonymousVolumes: a recreated container mounts
// the anonymous volume of the one it replaces (no new volume is left
// behind), and up -V gives it a fresh one, as Docker Compose does.
func TestComposeRecreateKeepsAnonymousVolumes(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	dir := caseDir(t, "anonvol")
	t.Cleanup(func() { run(t, d, dir, nil, d.Binary, "compose", "-p", "av", "down", "-v") })
	volumes := func() int {
		res, err := c.VolumeList(t.Context(), client.VolumeListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Items)
	}
	compose(t, d, dir, nil, "-p", "av", "up", "-d")
	compose(t, d, dir, nil, "-p", "av", "exec", "-T", "keep", "sh", "-c", "echo kept > /data/f")
	first := byName(projectContainers(t, c, "av"))["av-keep-1"].ID
	n := volumes()

	compose(t, d, dir, []string{"GEN=2"}, "-p", "av", "up", "-d")
	if id := byName(projectContainers(t, c, "av"))["av-keep-1"].ID; id == first {
		t.Fatal("changed GEN did not recreate keep")
	}
	if got := compose(t, d, dir, nil, "-p", "av", "exec", "-T", "keep", "cat", "/data/f"); strings.TrimSpace(got) != "kept" {
		t.Errorf("anonymous volume after recreate: %q", got)
	}
	if got := volumes(); got != n {
		t.Errorf("recreate: %d volumes, want %d", got, n)
	}

	compose(t, d, dir, []string{"GEN=3"}, "-p", "av", "up", "-d", "-V")
	r := run(t, d, dir, nil, d.Binary, "compose", "-p", "av", "exec", "-T", "keep", "cat", "/data/f")
	if r.code == 0 {
		t.Errorf("up -V kept the anonymous volume: %q", r.out)
	}
	compose(t, d, dir, nil, "-p", "av", "down", "-v")
	assertGone(t, c, "av")
}
