// Package daemon starts real Berth daemons for integration tests: a temp
// data root, exec root, socket and bridge of their own, and a cleanup that
// leaves no process, mount, netns, veth, bridge or nft table behind.
package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the berth binary under test: $BERTH_BINARY, or one built
// once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BERTH_BINARY"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "berth-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "berth")
		// Static, like `make build`: berth-daemon is also /sbin/docker-init
		// inside --init containers.
		for pkg, out := range map[string]string{"./cmd/berth": binPath, "./cmd/berth-daemon": binPath + "-daemon",
			"./cmd/berth-shim": binPath + "-shim", "./cmd/berth-compose": binPath + "-compose"} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v: %s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Daemon is one test daemon.
type Daemon struct {
	Root, ExecRoot, Socket, Bridge, LogPath string
	Binary                                  string
	cmd                                     *exec.Cmd
	exited                                  chan struct{}
	t                                       testing.TB
}

// New prepares (but does not start) a daemon with its own directories and
// bridge; cleanup is registered on t.
func New(t testing.TB) *Daemon {
	t.Helper()
	testutil.RequiresRoot(t)
	suffix := randHex(4)
	base, err := os.MkdirTemp("", "bt-")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{
		Root: filepath.Join(base, "root"), ExecRoot: filepath.Join(base, "run"),
		Bridge: "bt" + suffix, Binary: Binary(t), t: t,
	}
	d.Socket = filepath.Join(d.ExecRoot, "berth.sock")
	d.LogPath = filepath.Join(base, "daemon.log")
	t.Cleanup(func() { d.cleanup(base) })
	return d
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Host is the DOCKER_HOST / -H value of the daemon.
func (d *Daemon) Host() string { return "unix://" + d.Socket }

// Start starts the daemon and waits until it answers /_ping.
func (d *Daemon) Start(t testing.TB, args ...string) {
	t.Helper()
	logf, err := os.OpenFile(d.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"daemon", "--data-root", d.Root, "--exec-root", d.ExecRoot,
		"-H", d.Host(), "--bridge", d.Bridge, "--cgroup-parent", "berth-test-" + d.Bridge,
		"--config-file", d.configFile(t), "--log-level", "debug"}, args...)
	if rt := os.Getenv("BERTH_TEST_RUNTIME"); rt != "" && !slices.Contains(args, "--default-runtime") {
		// The whole suite against another OCI runtime (crun, runc),
		// except tests that name the runtime they test.
		all = append(all, "--default-runtime", rt)
	}
	d.cmd = exec.Command(d.Binary, all...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	d.exited = make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			t.Fatalf("daemon exited at start:\n%s", d.Log())
		default:
		}
		if c, err := d.NewClient(); err == nil {
			_, perr := c.Ping(context.Background(), client.PingOptions{})
			c.Close()
			if perr == nil {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("daemon did not answer in time:\n%s", d.Log())
}

// configFile writes an empty daemon.json so the host's /etc/berth/daemon.json
// never leaks into a test daemon.
func (d *Daemon) configFile(t testing.TB) string {
	p := filepath.Join(filepath.Dir(d.Root), "daemon.json")
	if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Log returns the daemon's output so far.
func (d *Daemon) Log() string {
	data, _ := os.ReadFile(d.LogPath)
	return string(data)
}

// NewClient returns an API client for the daemon.
func (d *Daemon) NewClient() (*client.Client, error) {
	return client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
}

// Client returns a client closed at the end of the test.
func (d *Daemon) Client(t testing.TB) *client.Client {
	t.Helper()
	c, err := d.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Kill sends SIGKILL to the daemon (only to it: shims run in their own
// sessions and must survive).
func (d *Daemon) Kill(t testing.TB) {
	t.Helper()
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
	d.cmd = nil
}

// Stop stops the daemon with SIGTERM.
func (d *Daemon) Stop(t testing.TB) {
	t.Helper()
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.exited
	}
	d.cmd = nil
}

// Run runs a CLI command (the berth binary, or any program such as the
// docker CLI) against the daemon and returns stdout, stderr, exit code.
func (d *Daemon) Run(t testing.TB, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	// TMPDIR inside the test's base: the docker CLI clones a git build
	// context into a temp dir it does not remove.
	tmp := filepath.Join(filepath.Dir(d.Root), "cli-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host(), "BERTH_HOST="+d.Host(), "DOCKER_BUILDKIT=0",
		"DOCKER_CONFIG="+filepath.Join(filepath.Dir(d.Root), "docker-config"), "TMPDIR="+tmp)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return out.String(), errb.String(), code
}

// ImportBusybox imports the busybox fixture as busybox:latest.
func (d *Daemon) ImportBusybox(t testing.TB) {
	t.Helper()
	c := d.Client(t)
	res, err := c.ImageImport(context.Background(), client.ImageImportSource{Source: bytes.NewReader(testutil.BusyboxTar(t)), SourceName: "-"}, "busybox:latest", client.ImageImportOptions{})
	if err != nil {
		t.Fatalf("import busybox: %v", err)
	}
	defer res.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res)
	if strings.Contains(buf.String(), "error") {
		t.Fatalf("import busybox: %s", buf.String())
	}
}

// cleanup removes everything the daemon and its containers created.
func (d *Daemon) cleanup(base string) {
	if d.cmd != nil {
		d.Stop(d.t)
	}
	d.killShims()
	runcRoot := filepath.Join(d.ExecRoot, "runc")
	if ents, err := os.ReadDir(runcRoot); err == nil {
		for _, e := range ents {
			_ = exec.Command("runc", "--root", runcRoot, "delete", "--force", e.Name()).Run()
		}
	}
	unmountUnder(base)
	for _, br := range append(d.userBridges(), d.Bridge) {
		_ = exec.Command("ip", "link", "del", br).Run()
		for _, family := range []string{"ip", "ip6", "bridge"} {
			_ = exec.Command("nft", "delete", "table", family, "berth-"+br).Run()
		}
	}
	removeCgroups("berth-test-" + d.Bridge)
	if os.Getenv("BERTH_KEEP_TEST_ROOT") == "" {
		_ = os.RemoveAll(base)
	}
}

// userBridges lists the bridges of the user networks the daemon recorded
// (a test that fails before removing its networks must not leak them).
func (d *Daemon) userBridges() []string {
	files, _ := filepath.Glob(filepath.Join(d.Root, "network", "networks", "*.json"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var rec struct{ Bridge string }
		if json.Unmarshal(data, &rec) == nil && rec.Bridge != "" {
			out = append(out, rec.Bridge)
		}
	}
	return out
}

// killShims ends the shims this daemon started (found by their socket
// paths under our exec root), and their containers with them.
func (d *Daemon) killShims() {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(data, []byte(d.ExecRoot+"/")) || !bytes.Contains(data, []byte("shim")) {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(p, "/proc/%d/cmdline", &pid); err == nil && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(50 * time.Millisecond)
}

func unmountUnder(base string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], base+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = unix.Unmount(points[i], unix.MNT_DETACH)
	}
}

func removeCgroups(parent string) {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	roots = append(roots, "/sys/fs/cgroup/unified")
	killCgroups(parent)
	for _, r := range roots {
		dir := filepath.Join(r, parent)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.IsDir() {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
		_ = os.Remove(dir)
	}
}

// killCgroups kills what still runs in the containers' cgroups under
// parent: containers whose runtime state nobody deleted (a daemon stopped
// with containers running, whatever the runtime), which would keep their
// cgroups busy. Frozen ones are thawed first, or the kill would wait.
func killCgroups(parent string) {
	procs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/pids", parent, "*", "cgroup.procs"))
	for _, f := range procs {
		_ = os.WriteFile(filepath.Join("/sys/fs/cgroup/freezer", parent, filepath.Base(filepath.Dir(f)), "freezer.state"), []byte("THAWED"), 0)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			data, err := os.ReadFile(f)
			pids := strings.Fields(string(data))
			if err != nil || len(pids) == 0 {
				break
			}
			for _, p := range pids {
				if pid, err := strconv.Atoi(p); err == nil && pid > 1 {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
	}
}
