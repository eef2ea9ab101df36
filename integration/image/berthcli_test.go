package image

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBerthCLICommitExportPruneDF drives the same features through the
// berth CLI: commit -a -m -c -p, container commit, export -o, image prune
// -a -f --filter, system df [-v].
func TestBerthCLICommitExportPruneDF(t *testing.T) {
	d := newDaemon(t)
	berth := func(args ...string) string {
		t.Helper()
		out, errOut, code := d.Run(t, "", d.Binary, args...)
		if code != 0 {
			t.Fatalf("berth %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	berth("run", "--name", "cli-src", "busybox", "sh", "-c", "echo cli > /cli")
	id := strings.TrimSpace(berth("commit", "-a", "Ann", "-m", "via berth", "-c", "ENV X=1", "-p=false", "cli-src", "clicommit:v1"))
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("commit printed %q", id)
	}
	if got := strings.TrimSpace(berth("inspect", "-f", "{{.Author}}|{{.Comment}}|{{.Config.Env}}", "clicommit:v1")); !strings.HasPrefix(got, "Ann|via berth|") || !strings.Contains(got, "X=1") {
		t.Errorf("inspect: %s", got)
	}
	berth("container", "commit", "cli-src", "clicommit:v2")
	tarball := filepath.Join(t.TempDir(), "fs.tar")
	berth("export", "-o", tarball, "cli-src")
	berth("container", "export", "-o", tarball, "cli-src")
	berth("import", tarball, "cliimport:v1")
	if out := strings.TrimSpace(berth("run", "--rm", "cliimport:v1", "cat", "/cli")); out != "cli" {
		t.Errorf("imported export: %q", out)
	}
	if out := berth("system", "df"); !regexp.MustCompile(`(?m)^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n(?s:.*)^Images\s+4\s`).MatchString(out) {
		t.Errorf("system df:\n%s", out)
	}
	if out := berth("system", "df", "-v"); !strings.Contains(out, "Containers space usage:") || !strings.Contains(out, "cli-src") {
		t.Errorf("system df -v:\n%s", out)
	}
	berth("rm", "cli-src")
	out := berth("image", "prune", "-a", "-f", "--filter", "label!=nosuch")
	for _, want := range []string{"untagged: clicommit:v1", "untagged: cliimport:v1", "Total reclaimed space:"} {
		if !strings.Contains(out, want) {
			t.Errorf("prune output lacks %q:\n%s", want, out)
		}
	}
	// busybox is the parent of the commits: like Docker, prune -a untags
	// it and it goes with its last child, whatever the order.
	if out := strings.Fields(berth("images", "-a", "--format", "{{.Repository}}")); len(out) != 0 {
		t.Errorf("images after prune -a: %v", out)
	}
}
