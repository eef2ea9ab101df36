package build

import (
	"strings"
	"testing"
)

// TestIntermediateImages checks the step images of a build as Docker
// shows them: hidden from `docker images` but listed by -a, not dangling,
// named in `docker history`, protected from rmi while they have children
// and removed with the image they were built for.
func TestIntermediateImages(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo one > /one\nENV STEP=two\nCOPY f /f\n",
		"f":          "x\n",
	})
	docker(t, d, "build", "-t", "three:1", dir)
	ids := func(args ...string) []string {
		return strings.Fields(docker(t, d, append([]string{"images", "-q", "--no-trunc"}, args...)...))
	}
	top := strings.TrimSpace(docker(t, d, "inspect", "-f", "{{.Id}}", "three:1"))
	base := strings.TrimSpace(docker(t, d, "inspect", "-f", "{{.Id}}", "busybox"))
	if got := ids(); len(got) != 2 {
		t.Errorf("docker images = %v, want three:1 and busybox only", got)
	}
	all := ids("-a")
	if len(all) != 4 {
		t.Fatalf("docker images -a = %v, want 4 images", all)
	}
	if got := ids("-f", "dangling=true"); len(got) != 0 {
		t.Errorf("dangling = %v, want none (the step images have children)", got)
	}
	if out := docker(t, d, "images", "-a"); strings.Count(out, "<none>") != 4 {
		t.Errorf("docker images -a shows %d <none> columns, want 4 (2 untagged images):\n%s", strings.Count(out, "<none>"), out)
	}

	// History: one row per step, each naming its step image; the FROM row
	// is the imported base (one history entry, its own image).
	hist := strings.Fields(docker(t, d, "history", "-q", "--no-trunc", "three:1"))
	if len(hist) != 4 || hist[0] != top || hist[3] != base || strings.Contains(strings.Join(hist, " "), "<missing>") {
		t.Errorf("history IDs = %v (top %s, base %s)", hist, top, base)
	}
	for _, id := range hist[1:3] {
		if !contains(all, id) {
			t.Errorf("history row %s is not an image of `docker images -a` %v", id, all)
		}
	}

	// A step image with children cannot be removed, even forced.
	for _, args := range [][]string{{"rmi", hist[1]}, {"rmi", "-f", hist[2]}} {
		out := dockerFail(t, d, args...)
		want := "conflict: unable to delete " + strings.TrimPrefix(args[len(args)-1], "sha256:")[:12] + " (cannot be forced) - image has dependent child images"
		if !strings.Contains(out, want) {
			t.Errorf("docker %v = %q, want %q", args, out, want)
		}
	}

	// --no-prune keeps the untagged parent, which becomes dangling.
	docker(t, d, "tag", "three:1", "three:2")
	docker(t, d, "build", "-t", "four:1", writeContext(t, map[string]string{
		"Dockerfile": "FROM three:1\nENV FOUR=4\n",
	}))
	out := docker(t, d, "rmi", "four:1")
	if strings.Count(out, "Deleted:") != 1 {
		t.Errorf("rmi four:1 (parent tagged) = %q, want one Deleted line", out)
	}

	// rmi removes the image and its untagged parent chain, with a
	// Deleted line for each image and freed layer, down to the tagged base.
	docker(t, d, "rmi", "three:2")
	out = docker(t, d, "rmi", "three:1")
	for _, id := range hist[:3] {
		if !strings.Contains(out, "Deleted: "+id) {
			t.Errorf("rmi output lacks Deleted: %s:\n%s", id, out)
		}
	}
	if strings.Contains(out, "Deleted: "+base) {
		t.Errorf("rmi deleted the tagged base:\n%s", out)
	}
	if got := ids("-a"); len(got) != 1 || got[0] != base {
		t.Errorf("images left = %v, want only busybox", got)
	}

	// noprune: the parents stay, and the top one becomes dangling.
	docker(t, d, "build", "--no-cache", "-t", "three:1", dir)
	hist = strings.Fields(docker(t, d, "history", "-q", "--no-trunc", "three:1"))
	docker(t, d, "rmi", "--no-prune", "three:1")
	if got := ids("-f", "dangling=true"); len(got) != 1 || got[0] != hist[1] {
		t.Errorf("dangling after --no-prune = %v, want [%s]", got, hist[1])
	}
	if got := ids("-a"); len(got) != 3 {
		t.Errorf("images -a after --no-prune = %v, want base + 2 steps", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
