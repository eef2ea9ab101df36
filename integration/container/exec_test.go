package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExecDockerCLI drives exec, pause/unpause, rename, top, diff, cp and
// container prune through the real docker CLI.
func TestExecDockerCLI(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		return d.Run(t, stdin, dockerCLI, args...)
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := docker("", args...)
		if code != 0 {
			t.Fatalf("docker %v: code %d out %q err %q", args, code, out, errOut)
		}
		return out
	}
	mustRun("run", "-d", "--name", "box", "busybox", "sh", "-c",
		"i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done")

	t.Run("exec exit codes", func(t *testing.T) {
		cases := []struct {
			args []string
			code int
			out  string
		}{
			{[]string{"exec", "box", "echo", "hi"}, 0, "hi\n"},
			{[]string{"exec", "box", "sh", "-c", "exit 7"}, 7, ""},
			{[]string{"exec", "box", "nonexistent-cmd"}, 127, "executable file not found"},
			{[]string{"exec", "box", "/etc/passwd"}, 126, "permission denied"},
			{[]string{"exec", "-e", "FOO=bar", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", "echo $FOO $(pwd) $(id -u)"}, 0, "bar /tmp 65534\n"},
			{[]string{"exec", "box", "sh", "-c", "echo out; echo err >&2"}, 0, "out\n"},
		}
		for _, tc := range cases {
			out, errOut, code := docker("", tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.out) {
				t.Errorf("%v: code %d (want %d) out %q err %q", tc.args, code, tc.code, out, errOut)
			}
		}
	})
	t.Run("exec stderr", func(t *testing.T) {
		out, errOut, code := docker("", "exec", "box", "sh", "-c", "echo err >&2")
		if code != 0 || out != "" || errOut != "err\n" {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("exec -i pipes stdin", func(t *testing.T) {
		out, errOut, code := docker("a\nb\n", "exec", "-i", "box", "sh", "-c", "cat; echo done")
		if code != 0 || out != "a\nb\ndone\n" {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("exec -t", func(t *testing.T) {
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script(1) missing")
		}
		out, errOut, code := d.Run(t, "", "script", "-qec", dockerCLI+" exec -it box sh -c 'tty; echo $TERM; exit 3'", "/dev/null")
		if code != 3 || !strings.Contains(out, "/dev/pts/") || !strings.Contains(out, "xterm") {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("exec -d and inspect ExecIDs", func(t *testing.T) {
		mustRun("exec", "-d", "box", "sh", "-c", "sleep 2; touch /tmp/detached")
		ids := mustRun("inspect", "-f", "{{len .ExecIDs}}", "box")
		if strings.TrimSpace(ids) != "1" {
			t.Errorf("ExecIDs while running: %q", ids)
		}
		waitFor(t, func() bool { _, _, code := docker("", "exec", "box", "test", "-f", "/tmp/detached"); return code == 0 })
	})
	t.Run("pause freezes", func(t *testing.T) {
		mustRun("pause", "box")
		if st := mustRun("inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", "box"); st != "paused true true\n" {
			t.Errorf("state %q", st)
		}
		if ps := mustRun("ps", "--filter", "name=box", "--format", "{{.Status}}"); !strings.Contains(ps, "(Paused)") {
			t.Errorf("ps status %q", ps)
		}
		_, errOut, code := docker("", "exec", "box", "true")
		if code == 0 || !strings.Contains(strings.ToLower(errOut), "is paused, unpause the container before exec") {
			t.Errorf("exec into paused: code %d err %q", code, errOut)
		}
		before := lastLine(mustRun("logs", "box"))
		time.Sleep(600 * time.Millisecond)
		if after := lastLine(mustRun("logs", "box")); after != before {
			t.Errorf("counter advanced while paused: %s -> %s", before, after)
		}
		_, _, code = docker("", "pause", "box")
		if code == 0 {
			t.Error("pausing a paused container succeeded")
		}
		mustRun("unpause", "box")
		waitFor(t, func() bool { return lastLine(mustRun("logs", "box")) != before })
		if st := mustRun("inspect", "-f", "{{.State.Status}}", "box"); st != "running\n" {
			t.Errorf("state after unpause %q", st)
		}
	})
	t.Run("top", func(t *testing.T) {
		out := mustRun("top", "box")
		if !strings.Contains(out, "PID") || !strings.Contains(out, "while true") {
			t.Errorf("top: %q", out)
		}
		out = mustRun("top", "box", "-o", "pid,comm")
		if !strings.Contains(out, "COMMAND") || !strings.Contains(out, "sh") {
			t.Errorf("top -o: %q", out)
		}
	})
	t.Run("diff", func(t *testing.T) {
		mustRun("exec", "box", "sh", "-c", "mkdir /newdir && echo x > /newdir/f && echo changed >> /etc/passwd && rm /etc/group")
		out := mustRun("diff", "box")
		for _, want := range []string{"A /newdir", "A /newdir/f", "C /etc", "C /etc/passwd", "D /etc/group"} {
			if !strings.Contains(out+"\n", want+"\n") {
				t.Errorf("diff lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "/etc/hostname") || strings.Contains(out, "/proc") {
			t.Errorf("diff shows runtime mountpoints:\n%s", out)
		}
	})
	t.Run("cp round trip", func(t *testing.T) {
		dir := t.TempDir()
		src := filepath.Join(dir, "data")
		mustNil(t, os.MkdirAll(filepath.Join(src, "sub"), 0o750))
		mustNil(t, os.WriteFile(filepath.Join(src, "sub", "script.sh"), []byte("#!/bin/sh\necho ok\n"), 0o755))
		mustNil(t, os.WriteFile(filepath.Join(src, "secret"), []byte("s"), 0o600))
		mustNil(t, os.Symlink("sub/script.sh", filepath.Join(src, "link")))
		mustRun("cp", src, "box:/tmp/")
		out := mustRun("exec", "box", "sh", "-c", "stat -c '%n %a' /tmp/data/secret /tmp/data/sub/script.sh; readlink /tmp/data/link; /tmp/data/link")
		if out != "/tmp/data/secret 600\n/tmp/data/sub/script.sh 755\nsub/script.sh\nok\n" {
			t.Errorf("in container: %q", out)
		}
		back := filepath.Join(dir, "back")
		mustRun("cp", "box:/tmp/data", back)
		checkMode(t, filepath.Join(back, "secret"), 0o600)
		checkMode(t, filepath.Join(back, "sub", "script.sh"), 0o755)
		if l, err := os.Readlink(filepath.Join(back, "link")); err != nil || l != "sub/script.sh" {
			t.Errorf("symlink: %q %v", l, err)
		}
		_, errOut, code := docker("", "cp", "box:/no/such/file", dir)
		if code == 0 || !strings.Contains(errOut, "Could not find the file /no/such/file") {
			t.Errorf("cp missing: code %d err %q", code, errOut)
		}
	})
	t.Run("cp stopped container and escape", func(t *testing.T) {
		mustRun("create", "--name", "stopped", "busybox", "true")
		dir := t.TempDir()
		mustNil(t, os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644))
		mustRun("cp", filepath.Join(dir, "f"), "stopped:/f")
		mustRun("cp", "stopped:/f", filepath.Join(dir, "g"))
		if b, _ := os.ReadFile(filepath.Join(dir, "g")); string(b) != "data" {
			t.Errorf("round trip through a stopped container: %q", b)
		}
		// An absolute symlink inside the container resolves inside its rootfs.
		mustRun("exec", "box", "ln", "-s", "/", "/tmp/rootlink")
		mustRun("cp", "box:/tmp/rootlink/etc/passwd", filepath.Join(dir, "passwd"))
		if b, _ := os.ReadFile(filepath.Join(dir, "passwd")); !strings.Contains(string(b), "changed") {
			t.Errorf("resolved outside the container: %q", b)
		}
	})
	t.Run("rename", func(t *testing.T) {
		mustRun("create", "--name", "other", "busybox", "true")
		_, errOut, code := docker("", "rename", "box", "other")
		if code == 0 || !strings.Contains(errOut, "is already in use") {
			t.Errorf("rename conflict: code %d err %q", code, errOut)
		}
		mustRun("rename", "box", "box2")
		if out := mustRun("inspect", "-f", "{{.Name}}", "box2"); out != "/box2\n" {
			t.Errorf("name %q", out)
		}
		if _, _, code := docker("", "inspect", "box"); code == 0 {
			t.Error("old name still resolves")
		}
		mustRun("create", "--name", "box", "busybox", "true") // the old name is free
	})
	t.Run("exec into stopped", func(t *testing.T) {
		_, errOut, code := docker("", "exec", "other", "true")
		if code == 0 || !strings.Contains(errOut, "is not running") {
			t.Errorf("code %d err %q", code, errOut)
		}
		_, errOut, code = docker("", "exec", "nosuch", "true")
		if code == 0 || !strings.Contains(errOut, "No such container") {
			t.Errorf("code %d err %q", code, errOut)
		}
	})
	t.Run("stop and kill paused", func(t *testing.T) {
		mustRun("run", "-d", "--name", "trap", "busybox", "sh", "-c", "trap 'exit 5' TERM; while true; do sleep 0.1; done")
		for _, name := range []string{"box2", "trap"} {
			mustRun("pause", name)
		}
		start := time.Now()
		mustRun("stop", "trap") // the TERM handler runs once thawed
		if time.Since(start) > 5*time.Second {
			t.Errorf("stop of a paused container took %v", time.Since(start))
		}
		mustRun("kill", "box2")
		for _, tc := range []struct{ name, want string }{{"trap", "exited 5\n"}, {"box2", "exited 137\n"}} {
			if st := mustRun("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", tc.name); st != tc.want {
				t.Errorf("%s after stop/kill: %q", tc.name, st)
			}
		}
		mustRun("rm", "trap")
	})
	t.Run("prune", func(t *testing.T) {
		mustRun("run", "-d", "--name", "alive", "busybox", "sleep", "100")
		out := mustRun("container", "prune", "-f")
		if !strings.Contains(out, "Total reclaimed space") {
			t.Errorf("prune output %q", out)
		}
		ps := mustRun("ps", "-a", "--format", "{{.Names}}")
		if strings.TrimSpace(ps) != "alive" {
			t.Errorf("after prune: %q", ps)
		}
		mustRun("rm", "-f", "alive")
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkMode(t *testing.T, p string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Error(err)
		return
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s: mode %s, want %s", p, fi.Mode().Perm(), strconv.FormatUint(uint64(want), 8))
	}
}
