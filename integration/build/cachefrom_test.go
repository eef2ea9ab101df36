package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestBuildCacheFrom: an image that was not built here (saved, removed and
// loaded back) serves as the cache with --cache-from, as with Docker's
// classic builder: every step hits and the result is that very image;
// after an edited file the steps before it still hit and the rest
// rebuild on top of them. Without --cache-from the steps rebuild.
func TestBuildCacheFrom(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo one > /one\nENV A=1\nCOPY f.txt /f.txt\nRUN cat /one /f.txt > /all\nCMD [\"cat\", \"/all\"]\n",
		"f.txt":      "v1\n",
	})
	docker(t, d, "build", "-t", "cf:1", dir)
	id := docker(t, d, "image", "inspect", "-f", "{{.Id}}", "cf:1")
	reload(t, d, "cf:1")

	out := docker(t, d, "build", "-t", "cf:nocache-from", dir)
	if strings.Contains(out, "Using cache") || !strings.Contains(out, "Running in") {
		t.Errorf("build without --cache-from used a cache:\n%s", out)
	}
	docker(t, d, "rmi", "cf:nocache-from")

	out = docker(t, d, "build", "--cache-from", "cf:1", "-t", "cf:2", dir)
	if n := strings.Count(out, " ---> Using cache"); n != 5 || strings.Contains(out, "Running in") {
		t.Errorf("--cache-from: %d cache hits, want 5:\n%s", n, out)
	}
	if got := docker(t, d, "image", "inspect", "-f", "{{.Id}}", "cf:2"); got != id {
		t.Errorf("--cache-from built %s, want the cache image %s", got, id)
	}
	if got := docker(t, d, "run", "--rm", "cf:2"); got != "one\nv1\n" {
		t.Errorf("cf:2 runs %q", got)
	}

	// An edited file: RUN and ENV still hit (restored from cf:1), COPY
	// and what follows rebuild.
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = docker(t, d, "build", "--cache-from", "cf:1", "-t", "cf:3", dir)
	t.Logf("after the edit:\n%s", out)
	if n := strings.Count(out, " ---> Using cache"); n != 2 || strings.Count(out, "Running in") != 1 {
		t.Errorf("--cache-from after an edit: %d cache hits, want 2:\n%s", n, out)
	}
	if got := docker(t, d, "run", "--rm", "cf:3"); got != "one\nv2\n" {
		t.Errorf("cf:3 runs %q", got)
	}
	// Built again, the restored steps are found in the local cache.
	out = docker(t, d, "build", "--cache-from", "cf:1", "-t", "cf:3", dir)
	if n := strings.Count(out, " ---> Using cache"); n != 5 {
		t.Errorf("second build after the edit: %d cache hits, want 5:\n%s", n, out)
	}
	if out := docker(t, d, "build", "--no-cache", "--cache-from", "cf:1", dir); strings.Contains(out, "Using cache") {
		t.Errorf("--no-cache --cache-from used the cache:\n%s", out)
	}
	if out, code := berth(t, d, "build", "--cache-from", "cf:1", "-f", filepath.Join(dir, "Dockerfile"), dir); code != 0 || strings.Count(out, "Using cache") < 2 {
		t.Errorf("berth build --cache-from: exit %d\n%s", code, out)
	}
	requireClean(t, d)
}

// reload saves ref, removes it (and with it its build cache) and loads it
// back: an image the daemon did not build.
func reload(t *testing.T, d *daemon.Daemon, ref string) {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "img.tar")
	docker(t, d, "save", "-o", archive, ref)
	docker(t, d, "rmi", ref)
	if out := docker(t, d, "images", "-aq"); strings.Count(out, "\n") != 1 {
		t.Fatalf("images left after rmi (want busybox only):\n%s", docker(t, d, "images", "-a"))
	}
	docker(t, d, "load", "-i", archive)
}

// TestBuildCacheFromPull: with --pull, a --cache-from image missing
// locally is pulled; its (compressed) layers are read back to restore the
// steps before an edited file.
func TestBuildCacheFromPull(t *testing.T) {
	d := newDaemon(t)
	reg := registry.Start(t, registry.Options{})
	base, cache := reg.Addr+"/lib/busybox:1", reg.Addr+"/lib/app:cache"
	docker(t, d, "tag", "busybox", base)
	docker(t, d, "push", base)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM " + base + "\nRUN echo one > /one\nCOPY f.txt /f.txt\nCMD [\"cat\", \"/one\", \"/f.txt\"]\n",
		"f.txt":      "v1\n",
	})
	docker(t, d, "build", "-t", cache, dir)
	docker(t, d, "push", cache)
	docker(t, d, "rmi", cache)

	out := docker(t, d, "build", "--pull", "--cache-from", cache, "-t", "app:1", dir)
	if n := strings.Count(out, " ---> Using cache"); n != 3 || strings.Contains(out, "Running in") {
		t.Errorf("--pull --cache-from: %d cache hits, want 3:\n%s", n, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docker(t, d, "rmi", "app:1", cache)
	out = docker(t, d, "build", "--pull", "--cache-from", cache, "-t", "app:2", dir)
	if n := strings.Count(out, " ---> Using cache"); n != 1 {
		t.Errorf("after an edit: %d cache hits, want 1:\n%s", n, out)
	}
	if got := docker(t, d, "run", "--rm", "app:2"); got != "one\nv2\n" {
		t.Errorf("app:2 runs %q", got)
	}
	requireClean(t, d)
}
