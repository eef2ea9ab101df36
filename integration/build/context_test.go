package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildContextCacheSemantics: the daemon keeps the last context to
// receive the next one faster; the cache still follows the files' content
// only: an edit that keeps the size and the mtime misses, a context
// alternating with another one is rebuilt from its own files, a file gone
// from the context is gone for COPY, and a read-write bind of the context
// leaves the context as it was.
func TestBuildContextCacheSemantics(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN --mount=type=bind,source=data,target=/data,rw sh -c 'echo scribbled > /data/f.txt; rm /data/g.txt'\n" +
			"COPY data/ /data/\nRUN cat /data/f.txt /data/g.txt > /seen\n",
		"data/f.txt": "v1\n",
		"data/g.txt": "g\n",
	})
	other := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY data/ /data/\n", "data/f.txt": "other\n"})
	docker(t, d, "build", "-t", "ctx:1", dir)
	if got := docker(t, d, "run", "--rm", "ctx:1", "cat", "/seen"); got != "v1\ng\n" {
		t.Fatalf("a read-write bind changed the context: /seen = %q", got)
	}
	if n := strings.Count(docker(t, d, "build", "-t", "ctx:1", dir), " ---> Using cache"); n != 3 {
		t.Errorf("rebuild: %d cache hits, want 3", n)
	}
	// Same size, same mtime, other content.
	f := filepath.Join(dir, "data", "f.txt")
	fi, _ := os.Stat(f)
	if err := os.WriteFile(f, []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(f, fi.ModTime(), fi.ModTime())
	out := docker(t, d, "build", "-t", "ctx:2", dir)
	if n := strings.Count(out, " ---> Using cache"); n != 0 { // the bind's checksum changed too
		t.Errorf("after an edit keeping size and mtime: %d cache hits, want none:\n%s", n, out)
	}
	if got := docker(t, d, "run", "--rm", "ctx:2", "cat", "/seen"); got != "v2\ng\n" {
		t.Errorf("/seen = %q", got)
	}
	// Another context in between, then the first one again.
	docker(t, d, "build", "-t", "ctx:other", other)
	if got := docker(t, d, "run", "--rm", "ctx:other", "ls", "/data"); got != "f.txt\n" {
		t.Errorf("the other context's image has %q", got)
	}
	if n := strings.Count(docker(t, d, "build", "-t", "ctx:2", dir), " ---> Using cache"); n != 3 {
		t.Errorf("back to the first context: %d cache hits, want 3", n)
	}
	// A file removed from the context.
	if err := os.Remove(filepath.Join(dir, "data", "g.txt")); err != nil {
		t.Fatal(err)
	}
	if out := dockerFail(t, d, "build", "-t", "ctx:3", dir); !strings.Contains(out, "g.txt") {
		t.Errorf("build without g.txt: %s", out)
	}
	// A changed mode is a change too.
	if err := os.Chmod(f, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx4 := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY data/f.txt /f\nRUN stat -c %a /f > /mode\n"})
	if err := os.MkdirAll(filepath.Join(ctx4, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(ctx4, "data", "f.txt"), []byte("m\n"), 0o644)
	docker(t, d, "build", "-t", "ctx:4", ctx4)
	_ = os.Chmod(filepath.Join(ctx4, "data", "f.txt"), 0o700)
	_ = os.Chtimes(filepath.Join(ctx4, "data", "f.txt"), time.Now(), time.Now())
	docker(t, d, "build", "-t", "ctx:4", ctx4)
	if got := docker(t, d, "run", "--rm", "ctx:4", "cat", "/mode"); got != "700\n" {
		t.Errorf("mode after chmod = %q", got)
	}
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left behind: %s", ps)
	}
	for _, dir := range []string{filepath.Join(d.Root, "build", "tmp"), filepath.Join(d.ExecRoot, "build-contexts")} {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("temporary build files left in %s: %d", dir, len(ents))
		}
	}
}
