package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestBerthCLI drives the berth CLI through the everyday commands.
func TestBerthCLI(t *testing.T) {
	d := newDaemon(t)
	berth := func(stdin string, args ...string) (string, string, int) { return d.Run(t, stdin, d.Binary, args...) }

	if out, e, code := berth("", "run", "--rm", "busybox", "echo", "hello"); code != 0 || out != "hello\n" {
		t.Fatalf("run: %d %q %q", code, out, e)
	}
	if _, _, code := berth("", "run", "--rm", "busybox", "sh", "-c", "exit 42"); code != 42 {
		t.Fatalf("exit code %d", code)
	}
	if _, e, code := berth("", "run", "--rm", "busybox", "no-such-cmd"); code != 127 {
		t.Fatalf("not found: %d %s", code, e)
	}
	if out, _, code := berth("a\nb\n", "run", "-i", "--rm", "busybox", "wc", "-l"); code != 0 || strings.TrimSpace(out) != "2" {
		t.Fatalf("stdin: %d %q", code, out)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	_ = os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\n"), 0o644)
	out, e, code := berth("", "run", "--rm", "-e", "A=1", "--env-file", envFile, "-w", "/tmp", "-u", "berth", "-h", "myhost",
		"busybox", "sh", "-c", "echo $A $FROM_FILE $(pwd) $(id -un) $(hostname)")
	if code != 0 || out != "1 yes /tmp berth myhost\n" {
		t.Fatalf("flags: %d %q %q", code, out, e)
	}
	if out, _, _ := berth("", "run", "--rm", "--entrypoint", "echo", "busybox", "from", "entrypoint"); out != "from entrypoint\n" {
		t.Fatalf("entrypoint: %q", out)
	}
	if _, e, code := berth("", "run", "--rm", "-u", "nosuchuser", "busybox", "true"); code == 0 || !strings.Contains(e, "unable to find user nosuchuser") {
		t.Fatalf("unknown user: %d %s", code, e)
	}

	id, e, code := berth("", "run", "-d", "--name", "bg", "--label", "team=a", "busybox", "sh", "-c", "echo up; sleep 100")
	id = strings.TrimSpace(id)
	if code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d: %d %q %q", code, id, e)
	}
	waitFor(t, func() bool { out, _, _ := berth("", "logs", "bg"); return out == "up\n" })
	if out, _, _ := berth("", "ps", "-q", "--filter", "label=team=a"); strings.TrimSpace(out) != id[:12] {
		t.Fatalf("ps -q filter: %q", out)
	}
	if out, _, _ := berth("", "inspect", "-f", "{{.State.Running}} {{.Name}}", "bg"); out != "true /bg\n" {
		t.Fatalf("inspect: %q", out)
	}
	// The CLI sends the create body itself and, when refused, once more
	// through the API client: the daemon's errors reach the user unchanged.
	if _, e, code := berth("", "run", "-d", "--name", "bg", "busybox", "true"); code != 125 || !strings.Contains(e, `The container name "/bg" is already in use`) {
		t.Fatalf("name conflict: %d %s", code, e)
	}
	if _, e, code := berth("", "create", "--pull", "never", "no-such-image:v1", "true"); code != 125 || !strings.Contains(e, "No such image") {
		t.Fatalf("missing image: %d %s", code, e)
	}
	if _, e, code := berth("", "create", "--memory", "1k", "busybox", "true"); code != 125 || !strings.Contains(e, "Minimum memory limit") {
		t.Fatalf("bad memory: %d %s", code, e)
	}
	if out, _, _ := berth("", "ps", "-aq"); len(strings.Fields(out)) != 1 {
		t.Fatalf("a refused create left a container: %q", out)
	}
	capped, e, code := berth("", "create", "--cap-add", "net_admin", "--cap-drop", "CHOWN", "--cap-drop", "chown", "--entrypoint", "", "busybox")
	if code != 0 {
		t.Fatalf("create: %d %s", code, e)
	}
	if out, _, _ := berth("", "inspect", "-f", "{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{json .Config.Entrypoint}}", strings.TrimSpace(capped)); out != "[CAP_NET_ADMIN] [CAP_CHOWN] [\"\"]\n" {
		t.Fatalf("create request: %q", out)
	}
	berth("", "rm", strings.TrimSpace(capped))
	if out, _, code := berth("", "stop", "-t", "1", "bg"); code != 0 || out != "bg\n" {
		t.Fatalf("stop: %d %q", code, out)
	}
	if out, _, _ := berth("", "wait", "bg"); out != "137\n" {
		t.Fatalf("wait: %q", out)
	}
	if out, _, code := berth("", "rm", "bg"); code != 0 || out != "bg\n" {
		t.Fatalf("rm: %d %q", code, out)
	}

	cid, _, _ := berth("", "create", "--name", "later", "busybox", "echo", "created-then-started")
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(cid) {
		t.Fatalf("create: %q", cid)
	}
	if out, e, code := berth("", "start", "-a", "later"); code != 0 || out != "created-then-started\n" {
		t.Fatalf("start -a: %d %q %q", code, out, e)
	}
	berth("", "rm", "later")

	if out, _, _ := berth("", "images", "--format", "{{.Repository}}:{{.Tag}}"); out != "busybox:latest\n" {
		t.Fatalf("images: %q", out)
	}
	if out, _, code := berth("", "version", "--format", "{{.Server.APIVersion}}"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("version: %d %q", code, out)
	}
	if out, _, code := berth("", "info"); code != 0 || !strings.Contains(out, "Storage Driver") {
		t.Fatalf("info: %d %q", code, out)
	}
	if _, e, code := berth("", "rm", "nope"); code != 1 || !strings.Contains(e, "No such container: nope") {
		t.Fatalf("rm unknown: %d %q", code, e)
	}
}

// TestTwoDaemonsSideBySide: two daemons with their own roots, sockets and
// bridges serve at once without touching each other.
func TestTwoDaemonsSideBySide(t *testing.T) {
	a, b := newDaemon(t), newDaemon(t)
	run := func(d *daemon.Daemon, args ...string) string {
		out, e, code := d.Run(t, "", d.Binary, args...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, e)
		}
		return out
	}
	run(a, "run", "-d", "--name", "only-in-a", "busybox", "sleep", "100")
	if out := run(b, "ps", "-a", "-q"); out != "" {
		t.Fatalf("b sees a's containers: %q", out)
	}
	ipA := run(a, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.Gateway}}", "only-in-a")
	run(b, "run", "-d", "--name", "only-in-b", "busybox", "sleep", "100")
	ipB := run(b, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.Gateway}}", "only-in-b")
	if ipA == ipB {
		t.Fatalf("both daemons use gateway %s", ipA)
	}
	b.Stop(t)
	if out := run(a, "ps", "--format", "{{.Names}}"); out != "only-in-a\n" {
		t.Fatalf("a after b stopped: %q", out)
	}
	run(a, "rm", "-f", "only-in-a")
}

// TestAutoStartDaemon: with the default socket absent the CLI starts a
// daemon itself. It runs in a private mount namespace so the test's
// /run/berth and /var/lib/berth are tmpfs and never the host's.
func TestAutoStartDaemon(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare missing")
	}
	bin := daemon.Binary(t)
	// /run on a disk, as on this project's VMs: the daemon puts its exec
	// root on a tmpfs of its own (the autostart lock is in the data root),
	// and takes it off when it stops with no container running.
	runDir := t.TempDir()
	script := `set -e
mount --bind ` + runDir + ` /run && mount -t tmpfs none /var/lib
` + bin + ` version --format '{{.Server.Version}}' >/dev/null
test -S /run/berth/berth.sock
test "$(findmnt -n -o FSTYPE /run/berth)" = tmpfs
test -f /var/lib/berth/autostart.lock
pid=$(cat /run/berth/berth.pid 2>/dev/null || pgrep -f "^` + bin + `-daemon" | head -1)
` + bin + ` ps -a >/dev/null
kill $pid
for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if findmnt -n /run/berth >/dev/null; then echo "exec root still mounted"; exit 1; fi # stopped with no container
ip link del berth0 2>/dev/null || true
nft delete table ip berth 2>/dev/null || true
echo autostart-ok`
	cmd := exec.Command("unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("autostart timed out")
	}
	if err != nil || !strings.Contains(string(out), "autostart-ok") {
		t.Fatalf("%v: %s", err, out)
	}
}
