package volume

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBerthCLI drives volumes and mounts through the berth CLI itself.
func TestBerthCLI(t *testing.T) {
	e := newEnv(t)
	berth := func(args ...string) (string, string, int) { return e.d.Run(t, "", e.d.Binary, args...) }
	ok := func(args ...string) string {
		t.Helper()
		out, errOut, code := berth(args...)
		if code != 0 {
			t.Fatalf("berth %v: code %d out %q err %q", args, code, out, errOut)
		}
		return out
	}
	if out := ok("volume", "create", "--label", "x=y", "bv"); out != "bv\n" {
		t.Fatalf("create %q", out)
	}
	if out := ok("volume", "ls"); !strings.Contains(out, "DRIVER") || !strings.Contains(out, "local     bv") {
		t.Fatalf("ls %q", out)
	}
	if out := ok("volume", "inspect", "-f", "{{.Name}} {{.Labels.x}}", "bv"); out != "bv y\n" {
		t.Fatalf("inspect %q", out)
	}
	dir := t.TempDir()
	ok("run", "--rm", "-v", "bv:/data", "--mount", "type=bind,src="+dir+",dst=/host", "busybox", "sh", "-c", "echo v > /data/f; cp /data/f /host/f")
	if data, _ := os.ReadFile(filepath.Join(dir, "f")); string(data) != "v\n" {
		t.Fatalf("bind got %q", data)
	}
	ok("create", "--name", "holder", "-v", "bv:/data", "busybox", "true")
	if out := ok("run", "--rm", "--volumes-from", "holder:ro", "busybox", "cat", "/data/f"); out != "v\n" {
		t.Fatalf("volumes-from %q", out)
	}
	if _, errOut, code := berth("volume", "rm", "bv"); code == 0 || !strings.Contains(errOut, "volume is in use") {
		t.Fatalf("rm in use: code %d err %q", code, errOut)
	}
	ok("rm", "holder")
	if out := ok("volume", "rm", "bv"); out != "bv\n" {
		t.Fatalf("rm %q", out)
	}
	if out := ok("volume", "prune", "-af"); !strings.Contains(out, "Total reclaimed space") {
		t.Fatalf("prune %q", out)
	}
}

// TestSystemDF checks the volumes section of docker system df.
func TestSystemDF(t *testing.T) {
	e := newEnv(t)
	e.ok(t, "run", "--rm", "-v", "dfvol:/data", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /data/blob")
	out := e.ok(t, "system", "df", "-v")
	if !strings.Contains(out, "dfvol") || !strings.Contains(out, "100kB") {
		t.Fatalf("system df -v:\n%s", out)
	}
	berthOut, errOut, code := e.d.Run(t, "", e.d.Binary, "system", "df", "-v")
	if code != 0 || !strings.Contains(berthOut, "dfvol") || !strings.Contains(berthOut, "100kB") {
		t.Fatalf("berth system df -v: code %d err %q\n%s", code, errOut, berthOut)
	}
}
