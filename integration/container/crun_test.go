package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestCrunRuntime runs containers through crun (`--default-runtime crun`)
// on this hybrid-cgroup host, which crun 1.8 refuses unless the runtime
// runs without the cgroup2 mount in sight: run and exit codes (127 for a
// missing command, with runc's wording), stdin, a TTY, exec, pause and
// kill of a paused container, resource limits in the v1 cgroups, a device
// rule with a wildcard, and `--runtime` per container. The host's cgroup2
// mount must be untouched.
func TestCrunRuntime(t *testing.T) {
	requireDocker(t)
	if _, err := exec.LookPath("crun"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("crun is not installed (make deps installs it)")
		}
		t.Skip("crun not installed")
	}
	hadUnified := unifiedMounted()
	d := daemon.New(t)
	d.Start(t, "--default-runtime", "crun")
	d.ImportBusybox(t)
	docker := dockerOn(t, d)
	run := func(stdin string, args ...string) (string, string, int) { return d.Run(t, stdin, dockerCLI, args...) }

	if info := mustDocker(t, docker, "info", "-f", "{{.DefaultRuntime}}"); info != "crun" {
		t.Errorf("default runtime %q", info)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"run", "--rm", "busybox", "true"}, 0, ""},
		{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 7"}, 7, ""},
		{[]string{"run", "--rm", "busybox", "no-such-cmd"}, 127, `exec: "no-such-cmd": executable file not found in $PATH`},
		{[]string{"run", "--rm", "busybox", "/etc/passwd"}, 126, "permission denied"},
	} {
		_, errOut, code := run("", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d (want %d), stderr %q", tc.args, code, tc.code, errOut)
		}
	}
	// Per container: the other runtime by name, an unknown one refused.
	if out, errOut, code := run("", "run", "--rm", "--runtime", "runc", "busybox", "echo", "runc"); code != 0 || out != "runc\n" {
		t.Errorf("--runtime runc: %q %q %d", out, errOut, code)
	}
	if _, errOut, code := run("", "run", "--rm", "--runtime", "nosuch", "busybox", "true"); code != 125 || !strings.Contains(errOut, "unknown or invalid runtime name: nosuch") {
		t.Errorf("--runtime nosuch: %q %d", errOut, code)
	}
	if rts := mustDocker(t, docker, "info", "-f", "{{range $k, $v := .Runtimes}}{{$k}} {{end}}"); rts != "crun runc" {
		t.Errorf("runtimes %q", rts)
	}
	// Berth's own static build of crun (`make build`) runs when it sits
	// beside the binaries, as it does in CI; else the system's crun.
	want, _ := exec.LookPath("crun")
	if ours := filepath.Join(filepath.Dir(d.Binary), "berth-crun"); exists(ours) {
		want = ours
	} else if os.Getenv("CI") != "" {
		t.Errorf("no %s in CI (make build builds it)", ours)
	}
	if p := mustDocker(t, docker, "info", "-f", "{{(index .Runtimes \"crun\").Path}}"); p != want {
		t.Errorf("crun is %q, want %q", p, want)
	}
	if out, _, code := run("piped\n", "run", "-i", "--rm", "busybox", "cat"); code != 0 || out != "piped\n" {
		t.Errorf("stdin: %q %d", out, code)
	}
	if out, _, code := run("", "run", "--rm", "-t", "busybox", "sh", "-c", "test -t 1 && echo tty"); code != 0 || !strings.Contains(out, "tty") {
		t.Errorf("tty: %q %d", out, code)
	}

	mustDocker(t, docker, "run", "-d", "--name", "box", "--memory", "64m", "--pids-limit", "50",
		"--device-cgroup-rule", "b 7:* rm", "busybox", "sleep", "1000")
	if out := mustDocker(t, docker, "exec", "box", "sh", "-c", "echo hi; exit 0"); out != "hi" {
		t.Errorf("exec: %q", out)
	}
	if _, _, code := run("", "exec", "box", "sh", "-c", "exit 3"); code != 3 {
		t.Errorf("exec exit code %d", code)
	}
	id := mustDocker(t, docker, "inspect", "-f", "{{.Id}}", "box")
	if rt := mustDocker(t, docker, "inspect", "-f", "{{.HostConfig.Runtime}}", "box"); rt != "crun" {
		t.Errorf("HostConfig.Runtime %q", rt)
	}
	for file, want := range map[string]string{
		"memory/berth-test-" + d.Bridge + "/" + id + "/memory.limit_in_bytes": "67108864",
		"pids/berth-test-" + d.Bridge + "/" + id + "/pids.max":                "50",
	} {
		if data, err := os.ReadFile("/sys/fs/cgroup/" + file); err != nil || strings.TrimSpace(string(data)) != want {
			t.Errorf("%s: %q %v, want %s", file, data, err, want)
		}
	}
	mustDocker(t, docker, "pause", "box")
	if st := mustDocker(t, docker, "inspect", "-f", "{{.State.Status}}", "box"); st != "paused" {
		t.Errorf("paused: %q", st)
	}
	mustDocker(t, docker, "kill", "box")
	if st := mustDocker(t, docker, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "box"); st != "exited 137" {
		t.Errorf("after kill: %q", st)
	}
	mustDocker(t, docker, "rm", "box")
	if hadUnified && !unifiedMounted() {
		t.Error("the host's cgroup2 mount at /sys/fs/cgroup/unified went missing")
	}
}

// unifiedMounted reports whether this host mounts cgroup2 at the hybrid
// location (the mount crun must not see, and the host must keep).
func unifiedMounted() bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	return err == nil && strings.Contains(string(data), " /sys/fs/cgroup/unified ")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
