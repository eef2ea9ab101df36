package image

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestImagePruneAndDF: dangling and -a prune (images used by containers
// kept), reclaimed space and freed layers, system df, images --filter
// before/since/dangling and --digests.
func TestImagePruneAndDF(t *testing.T) {
	requireTool(t, dockerCLI)
	d := newDaemon(t)
	layersBefore := dirEntries(t, d, "layers")
	// Two commits on top of busybox: one stays tagged, one becomes dangling.
	docker(t, d, "run", "--name", "mk1", "busybox", "sh", "-c", "head -c 300000 /dev/urandom > /blob1")
	docker(t, d, "commit", "mk1", "keep:v1")
	time.Sleep(1100 * time.Millisecond) // distinct creation seconds for before/since
	docker(t, d, "run", "--name", "mk2", "busybox", "sh", "-c", "head -c 200000 /dev/urandom > /blob2")
	dangling := strings.TrimSpace(docker(t, d, "commit", "mk2"))
	docker(t, d, "rm", "mk1", "mk2")

	if out := docker(t, d, "images", "-q", "--no-trunc", "--filter", "dangling=true"); strings.TrimSpace(out) != dangling {
		t.Errorf("dangling images: %q, want %s", out, dangling)
	}
	if out := docker(t, d, "images", "--format", "{{.Repository}}", "--filter", "since=busybox"); !strings.Contains(out, "keep") || strings.Contains(out, "busybox") {
		t.Errorf("since=busybox: %q", out)
	}
	if out := docker(t, d, "images", "--format", "{{.Repository}}", "--filter", "before=keep:v1"); strings.TrimSpace(out) != "busybox" {
		t.Errorf("before=keep:v1: %q", out)
	}
	df := docker(t, d, "system", "df")
	if !regexp.MustCompile(`(?m)^Images\s+3\s+0\s+\S+MB`).MatchString(df) || !regexp.MustCompile(`(?m)^Containers\s+0\s+0\s+0B`).MatchString(df) {
		t.Errorf("system df:\n%s", df)
	}
	if out := docker(t, d, "system", "df", "-v"); !strings.Contains(out, "Images space usage:") || !strings.Contains(out, "keep") {
		t.Errorf("system df -v:\n%s", out)
	}

	out := docker(t, d, "image", "prune", "-f")
	if !strings.Contains(out, "deleted: "+dangling) || !regexp.MustCompile(`Total reclaimed space: 2\d\d(\.\d+)?kB`).MatchString(out) {
		t.Errorf("prune:\n%s", out)
	}
	if _, _, code := d.Run(t, "", dockerCLI, "image", "inspect", dangling); code == 0 {
		t.Errorf("dangling image survived prune")
	}
	// -a keeps images containers use (busybox) and removes the rest.
	docker(t, d, "create", "--name", "user", "busybox", "true")
	out = docker(t, d, "image", "prune", "-a", "-f", "--filter", "until=1s")
	if !strings.Contains(out, "untagged: keep:v1") || strings.Contains(out, "busybox") {
		t.Errorf("prune -a:\n%s", out)
	}
	if out := docker(t, d, "images", "--format", "{{.Repository}}"); strings.TrimSpace(out) != "busybox" {
		t.Errorf("images after prune -a: %q", out)
	}
	if got := dirEntries(t, d, "layers"); got != layersBefore {
		t.Errorf("layers after prune: %d, before the commits %d", got, layersBefore)
	}
	if df = docker(t, d, "system", "df"); !regexp.MustCompile(`(?m)^Images\s+1\s+1\s`).MatchString(df) || !regexp.MustCompile(`(?m)^Containers\s+1\s+0\s`).MatchString(df) {
		t.Errorf("system df after prune:\n%s", df)
	}
	if _, errOut, code := d.Run(t, "", dockerCLI, "image", "prune", "-f", "--filter", "nosuch=1"); code == 0 || !strings.Contains(errOut, "invalid filter") {
		t.Errorf("bad prune filter: exit %d %s", code, errOut)
	}
}

// TestImagesDigests: --digests shows the registry digest of a pulled image.
func TestImagesDigests(t *testing.T) {
	requireTool(t, dockerCLI)
	reg := registry.Start(t, registry.Options{})
	d := newDaemon(t)
	repo := reg.Addr + "/dig/busybox"
	docker(t, d, "tag", "busybox", repo+":v1")
	m := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`).FindStringSubmatch(docker(t, d, "push", repo+":v1"))
	if m == nil {
		t.Fatal("no digest in push output")
	}
	docker(t, d, "rmi", repo+":v1")
	docker(t, d, "pull", repo+":v1")
	out := docker(t, d, "images", "--digests", repo)
	if !regexp.MustCompile(`(?m)^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID`).MatchString(out) || !strings.Contains(out, m[1]) {
		t.Errorf("images --digests:\n%s", out)
	}
}

// dirEntries counts the committed layer directories (and the blobs) of d.
func dirEntries(t *testing.T, d *daemon.Daemon, what string) int {
	t.Helper()
	n := 0
	for _, dir := range []string{filepath.Join(d.Root, "layers", "overlay2"), filepath.Join(d.Root, "layers", "native"), filepath.Join(d.Root, "content", "blobs", "sha256")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "l" {
				n++
			}
		}
	}
	return n
}
