package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExecBerthCLI drives exec, pause/unpause, rename, top, diff, cp and
// container prune through the berth CLI.
func TestExecBerthCLI(t *testing.T) {
	d := newDaemon(t)
	berth := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		return d.Run(t, stdin, d.Binary, args...)
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := berth("", args...)
		if code != 0 {
			t.Fatalf("berth %v: code %d out %q err %q", args, code, out, errOut)
		}
		return out
	}
	mustRun("run", "-d", "--name", "box", "busybox", "sh", "-c",
		"i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done")

	t.Run("exec", func(t *testing.T) {
		envFile := filepath.Join(t.TempDir(), "env")
		mustNil(t, os.WriteFile(envFile, []byte("# c\nFROM_FILE=yes\n"), 0o600))
		cases := []struct {
			stdin string
			args  []string
			code  int
			out   string
		}{
			{"", []string{"exec", "box", "sh", "-c", "exit 7"}, 7, ""},
			{"", []string{"exec", "box", "nonexistent-cmd"}, 127, "executable file not found"},
			{"", []string{"exec", "-e", "A=1", "--env-file", envFile, "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", "echo $A $FROM_FILE $(pwd) $(id -un)"}, 0, "1 yes /tmp nobody\n"},
			{"x\ny\n", []string{"exec", "-i", "box", "wc", "-l"}, 0, "2\n"},
			{"", []string{"exec", "--privileged", "box", "sh", "-c", "grep CapEff /proc/self/status"}, 0, "CapEff:\t" + execHostCapBnd(t)},
		}
		for _, tc := range cases {
			out, errOut, code := berth(tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.out) {
				t.Errorf("%v: code %d (want %d) out %q err %q", tc.args, code, tc.code, out, errOut)
			}
		}
		mustRun("exec", "-d", "box", "touch", "/tmp/detached")
		waitFor(t, func() bool { _, _, code := berth("", "exec", "box", "test", "-f", "/tmp/detached"); return code == 0 })
	})
	t.Run("exec -t", func(t *testing.T) {
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script(1) missing")
		}
		out, errOut, code := d.Run(t, "", "script", "-qec", d.Binary+" exec -it box sh -c 'tty; stty size; exit 3'", "/dev/null")
		if code != 3 || !strings.Contains(out, "/dev/pts/") {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("pause", func(t *testing.T) {
		mustRun("pause", "box")
		if out := mustRun("ps", "--format", "{{.Status}}"); !strings.Contains(out, "(Paused)") {
			t.Errorf("ps: %q", out)
		}
		_, errOut, code := berth("", "exec", "box", "true")
		if code == 0 || !strings.Contains(errOut, "is paused") {
			t.Errorf("exec into paused: %d %q", code, errOut)
		}
		before := lastLine(mustRun("logs", "box"))
		time.Sleep(500 * time.Millisecond)
		if after := lastLine(mustRun("logs", "box")); after != before {
			t.Errorf("counter advanced while paused: %s -> %s", before, after)
		}
		mustRun("unpause", "box")
		waitFor(t, func() bool { return lastLine(mustRun("logs", "box")) != before })
	})
	t.Run("top, diff, rename", func(t *testing.T) {
		if out := mustRun("top", "box", "-o", "pid,args"); !strings.Contains(out, "while true") {
			t.Errorf("top: %q", out)
		}
		mustRun("exec", "box", "sh", "-c", "touch /added && rm /etc/group")
		out := mustRun("diff", "box")
		if !strings.Contains(out, "A /added\n") || !strings.Contains(out, "D /etc/group\n") || !strings.Contains(out, "C /etc\n") {
			t.Errorf("diff: %q", out)
		}
		mustRun("rename", "box", "renamed")
		if out := mustRun("ps", "--format", "{{.Names}}"); out != "renamed\n" {
			t.Errorf("ps after rename: %q", out)
		}
	})
	t.Run("cp", func(t *testing.T) {
		dir := t.TempDir()
		src := filepath.Join(dir, "data")
		mustNil(t, os.MkdirAll(filepath.Join(src, "sub"), 0o700))
		mustNil(t, os.WriteFile(filepath.Join(src, "sub", "x.sh"), []byte("#!/bin/sh\necho x\n"), 0o755))
		mustNil(t, os.Symlink("sub/x.sh", filepath.Join(src, "link")))
		mustRun("cp", src, "renamed:/tmp/copied")
		if out := mustRun("exec", "renamed", "sh", "-c", "stat -c %a /tmp/copied/sub; /tmp/copied/link"); out != "700\nx\n" {
			t.Errorf("in container: %q", out)
		}
		mustRun("cp", "renamed:/tmp/copied", filepath.Join(dir, "back"))
		checkMode(t, filepath.Join(dir, "back", "sub"), 0o700)
		checkMode(t, filepath.Join(dir, "back", "sub", "x.sh"), 0o755)
		if l, err := os.Readlink(filepath.Join(dir, "back", "link")); err != nil || l != "sub/x.sh" {
			t.Errorf("symlink %q %v", l, err)
		}
		mustRun("cp", "renamed:/etc/passwd", filepath.Join(dir, "pw"))
		if b, _ := os.ReadFile(filepath.Join(dir, "pw")); !strings.Contains(string(b), "root:") {
			t.Errorf("file copy: %q", b)
		}
	})
	t.Run("prune", func(t *testing.T) {
		mustRun("create", "--name", "stopped1", "--label", "keep=no", "busybox", "true")
		mustRun("create", "--name", "stopped2", "--label", "keep=yes", "busybox", "true")
		out := mustRun("container", "prune", "-f", "--filter", "label=keep=no")
		if !strings.Contains(out, "Deleted Containers:") || !strings.Contains(out, "Total reclaimed space:") {
			t.Errorf("prune: %q", out)
		}
		if out := mustRun("ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "stopped1") || !strings.Contains(out, "stopped2") || !strings.Contains(out, "renamed") {
			t.Errorf("after prune: %q", out)
		}
		mustRun("container", "prune", "-f")
		if out := mustRun("ps", "-a", "--format", "{{.Names}}"); out != "renamed\n" {
			t.Errorf("after full prune: %q", out)
		}
		mustRun("rm", "-f", "renamed")
	})
}

// execHostCapBnd is the test process's bounding set: what a privileged exec
// gets (the daemon runs with the same).
func execHostCapBnd(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/status")
	mustNil(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no CapBnd")
	return ""
}
