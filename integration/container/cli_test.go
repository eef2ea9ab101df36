package container

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDockerCLI runs the docker CLI's everyday commands against Berth.
func TestDockerCLI(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := func(stdin string, args ...string) (string, string, int) {
		return d.Run(t, stdin, dockerCLI, args...)
	}

	t.Run("run echo", func(t *testing.T) {
		out, errOut, code := docker("", "run", "--rm", "busybox", "echo", "hello")
		if code != 0 || out != "hello\n" {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("exit codes", func(t *testing.T) {
		cases := []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, 3, ""},
			{[]string{"run", "--rm", "busybox", "nonexistent-cmd"}, 127, "executable file not found"},
			{[]string{"run", "--rm", "busybox", "/etc/passwd"}, 126, "permission denied"},
			{[]string{"run", "--rm", "--memory", "notanumber", "busybox", "true"}, 125, "invalid"},
			{[]string{"run", "--rm", "busybox", "kill", "-9", "1"}, 0, ""},
		}
		for _, tc := range cases {
			_, errOut, code := docker("", tc.args...)
			if code != tc.code || !strings.Contains(strings.ToLower(errOut), tc.msg) {
				t.Errorf("%v: code %d (want %d) stderr %q", tc.args, code, tc.code, errOut)
			}
		}
	})
	t.Run("stdin pipe", func(t *testing.T) {
		out, errOut, code := docker("x\ny\n", "run", "-i", "--rm", "busybox", "cat")
		if code != 0 || out != "x\ny\n" {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("interactive tty", func(t *testing.T) {
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script(1) missing")
		}
		out, errOut, code := d.Run(t, "", "script", "-qec",
			dockerCLI+" run -it --rm busybox sh -c 'tty; echo tty-ok; exit 4'", "/dev/null")
		if code != 4 || !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "tty-ok") {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
	})
	t.Run("interactive shell session", func(t *testing.T) {
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script(1) missing")
		}
		out, errOut, _ := d.Run(t, "echo from-shell-$((6*7))\nexit\n", "script", "-qec",
			dockerCLI+" run -it --rm busybox sh", "/dev/null")
		if !strings.Contains(out, "from-shell-42") {
			t.Fatalf("out %q err %q", out, errOut)
		}
	})
	t.Run("detached lifecycle", func(t *testing.T) {
		id, errOut, code := docker("", "run", "-d", "--name", "web", "-e", "GREETING=hi", "busybox",
			"sh", "-c", "echo $GREETING started; while true; do sleep 0.2; done")
		id = strings.TrimSpace(id)
		if code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
			t.Fatalf("run -d: code %d out %q err %q", code, id, errOut)
		}
		waitFor(t, func() bool { out, _, _ := docker("", "logs", "web"); return out == "hi started\n" })
		out, _, _ := docker("", "ps")
		if !strings.Contains(out, id[:12]) || !strings.Contains(out, "Up ") || !strings.Contains(out, "web") {
			t.Fatalf("ps: %s", out)
		}
		out, _, _ = docker("", "ps", "--format", "{{.Names}} {{.Image}} {{.State}}")
		if strings.TrimSpace(out) != "web busybox running" {
			t.Fatalf("ps --format: %q", out)
		}
		out, _, code = docker("", "inspect", "web")
		var insp []map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &insp) != nil || len(insp) != 1 {
			t.Fatalf("inspect: %d %s", code, out)
		}
		state := insp[0]["State"].(map[string]any)
		if state["Running"] != true || state["Pid"].(float64) <= 0 {
			t.Fatalf("inspect state: %v", state)
		}
		ip, _, _ := docker("", "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "web")
		if !regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+\n$`).MatchString(ip) {
			t.Fatalf("ip: %q", ip)
		}
		start := time.Now()
		if out, errOut, code := docker("", "stop", "-t", "1", "web"); code != 0 || out != "web\n" {
			t.Fatalf("stop: %d %q %q", code, out, errOut)
		}
		if time.Since(start) > 8*time.Second {
			t.Fatalf("stop took %v", time.Since(start))
		}
		out, _, _ = docker("", "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web")
		if out != "exited 137\n" {
			t.Fatalf("after stop: %q", out)
		}
		out, _, _ = docker("", "ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}: {{.Status}}")
		if !strings.HasPrefix(out, "web: Exited (137)") {
			t.Fatalf("ps -a: %q", out)
		}
		if _, errOut, code := docker("", "start", "web"); code != 0 {
			t.Fatalf("start: %d %s", code, errOut)
		}
		waitFor(t, func() bool { out, _, _ := docker("", "logs", "web"); return out == "hi started\nhi started\n" })
		if _, errOut, code := docker("", "rm", "web"); code == 0 || !strings.Contains(errOut, "container is running") {
			t.Fatalf("rm running: %d %s", code, errOut)
		}
		if out, errOut, code := docker("", "rm", "-f", "web"); code != 0 || out != "web\n" {
			t.Fatalf("rm -f: %d %q %q", code, out, errOut)
		}
		if _, errOut, code := docker("", "inspect", "web"); code == 0 || !strings.Contains(errOut, "No such object") && !strings.Contains(errOut, "No such container") {
			t.Fatalf("inspect removed: %d %s", code, errOut)
		}
	})
	t.Run("logs follow tail timestamps", func(t *testing.T) {
		docker("", "run", "-d", "--name", "logger", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done; echo oops >&2")
		out, errOut, code := docker("", "logs", "-f", "logger")
		if code != 0 || out != "line 1\nline 2\nline 3\nline 4\nline 5\n" || errOut != "oops\n" {
			t.Fatalf("logs -f: %d %q %q", code, out, errOut)
		}
		out, _, _ = docker("", "logs", "--tail", "2", "-t", "logger")
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z line 5\n$`).MatchString(out) {
			t.Fatalf("logs --tail 2 -t: %q", out)
		}
		docker("", "rm", "logger")
	})
	t.Run("tag", func(t *testing.T) {
		if _, e, code := docker("", "tag", "busybox", "localhost:5000/team/box:1.0"); code != 0 {
			t.Fatal(e)
		}
		out, _, _ := docker("", "inspect", "-f", "{{json .RepoTags}}", "localhost:5000/team/box:1.0")
		if !strings.Contains(out, `"localhost:5000/team/box:1.0"`) || !strings.Contains(out, `"busybox:latest"`) {
			t.Fatalf("tags: %q", out)
		}
		if _, e, code := docker("", "tag", "busybox", "Bad Name"); code == 0 {
			t.Fatalf("bad tag accepted: %s", e)
		}
		docker("", "rmi", "localhost:5000/team/box:1.0")
	})
	t.Run("kill and wait", func(t *testing.T) {
		docker("", "run", "-d", "--name", "sleeper", "busybox", "sh", "-c", "trap 'exit 143' TERM; while true; do sleep 0.1; done")
		if out, errOut, code := docker("", "kill", "-s", "TERM", "sleeper"); code != 0 {
			t.Fatalf("kill: %d %q %q", code, out, errOut)
		}
		out, _, code := docker("", "wait", "sleeper")
		if code != 0 || out != "143\n" {
			t.Fatalf("wait: %d %q", code, out)
		}
		docker("", "rm", "sleeper")
	})
	t.Run("name conflict and unknowns", func(t *testing.T) {
		docker("", "create", "--name", "dup", "busybox", "true")
		defer docker("", "rm", "dup")
		_, errOut, code := docker("", "run", "--name", "dup", "busybox", "true")
		if code != 125 || !strings.Contains(errOut, "is already in use") {
			t.Fatalf("conflict: %d %s", code, errOut)
		}
		_, errOut, code = docker("", "stop", "no-such-container")
		if code == 0 || !strings.Contains(errOut, "No such container: no-such-container") {
			t.Fatalf("unknown container: %d %s", code, errOut)
		}
		_, errOut, code = docker("", "run", "--rm", "no-such-image:v1", "true")
		if code != 125 || !strings.Contains(errOut, "Unable to find image") {
			t.Fatalf("unknown image: %d %s", code, errOut)
		}
		_, errOut, code = docker("", "run", "--name", "bad/name", "busybox", "true")
		if code != 125 || !strings.Contains(errOut, "Invalid container name") {
			t.Fatalf("bad name: %d %s", code, errOut)
		}
	})
	t.Run("import images rmi", func(t *testing.T) {
		tarPath := writeBusyboxTar(t)
		out, errOut, code := docker("", "import", tarPath, "mybox:v1")
		if code != 0 || !strings.HasPrefix(out, "sha256:") {
			t.Fatalf("import: %d %q %q", code, out, errOut)
		}
		out, _, _ = docker("", "images", "--format", "{{.Repository}}:{{.Tag}}")
		if !strings.Contains(out, "mybox:v1") || !strings.Contains(out, "busybox:latest") {
			t.Fatalf("images: %q", out)
		}
		out, _, code = docker("", "run", "--rm", "mybox:v1", "echo", "from-mybox")
		if code != 0 || out != "from-mybox\n" {
			t.Fatalf("run imported: %d %q", code, out)
		}
		out, errOut, code = docker("", "rmi", "mybox:v1")
		if code != 0 || !strings.Contains(out, "Untagged: mybox:v1") {
			t.Fatalf("rmi: %d %q %q", code, out, errOut)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}
