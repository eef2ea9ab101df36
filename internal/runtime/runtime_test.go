package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-engine/berth/internal/logs/jsonfile"
	"github.com/berth-engine/berth/internal/runtime"
	"github.com/berth-engine/berth/internal/runtime/shim"
	"github.com/berth-engine/berth/internal/testutil"
)

const starterEnv = "BERTH_TEST_START_OPTS"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(shim.Main(os.Args[2:]))
	}
	if opts := os.Getenv(starterEnv); opts != "" {
		os.Exit(starter(opts))
	}
	os.Exit(m.Run())
}

// starter is a throwaway "daemon": it starts a shim, prints the pid and exits.
func starter(data string) int {
	var opts runtime.StartOptions
	if err := json.Unmarshal([]byte(data), &opts); err != nil {
		fmt.Println(err)
		return 1
	}
	_, pid, err := runtime.Start(context.Background(), opts)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println(pid)
	return 0
}

var seq atomic.Int32

// bundle is a container's bundle (busybox rootfs and a config from runc
// spec) with a test-only runc root and shim socket.
type bundle struct {
	opts   runtime.StartOptions
	cgroup string
}

func newBundle(t *testing.T, tty bool, args ...string) *bundle {
	t.Helper()
	testutil.RequiresRoot(t)
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not installed")
	}
	dir := t.TempDir()
	testutil.BusyboxRootfs(t, dir)
	id := fmt.Sprintf("berth-rt-%d-%d", os.Getpid(), seq.Add(1))
	cgroup := "/berth-test/" + id
	writeConfig(t, dir, cgroup, tty, args)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if bin := os.Getenv("BERTH_TEST_SHIM"); bin != "" {
		self = bin // measure the real berth binary: BERTH_TEST_SHIM=/path/to/berth
	}
	b := &bundle{cgroup: cgroup, opts: runtime.StartOptions{
		ID: id, Bundle: dir, ShimBinary: self, Runtime: "runc",
		RuntimeRoot: filepath.Join(dir, "runc"), SocketPath: filepath.Join(dir, "s.sock"),
		Tty: tty, LogPath: filepath.Join(dir, "ctr.log"), LogMaxSize: 10 << 20, LogMaxFiles: 3,
	}}
	t.Cleanup(func() { b.cleanup(t) })
	return b
}

func writeConfig(t *testing.T, dir, cgroup string, tty bool, args []string) {
	t.Helper()
	os.Remove(filepath.Join(dir, "config.json"))
	if out, err := exec.Command("runc", "spec", "--bundle", dir).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	spec.Process.Args = args
	spec.Process.Terminal = tty
	spec.Root.Readonly = false
	spec.Linux.CgroupsPath = cgroup
	data, _ = json.Marshal(&spec)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cleanup kills whatever the test left running and waits for the shim.
func (b *bundle) cleanup(t *testing.T) {
	runc := func(args ...string) {
		exec.Command("runc", append([]string{"--root", b.opts.RuntimeRoot}, args...)...).Run() //nolint:errcheck
	}
	runc("kill", b.opts.ID, "KILL")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if sh, err := runtime.Connect(ctx, b.opts.SocketPath); err == nil {
		sh.Release(ctx) //nolint:errcheck
		if err := sh.WaitClosed(ctx); err != nil {
			t.Errorf("cleanup: shim did not exit: %v", err)
		}
		sh.Close()
	}
	runc("delete", "--force", b.opts.ID)
	hierarchies, _ := filepath.Glob("/sys/fs/cgroup/*") // every controller, and name=systemd
	for _, h := range append(hierarchies, "/sys/fs/cgroup") {
		os.Remove(filepath.Join(h, b.cgroup))
		os.Remove(filepath.Join(h, "berth-test")) // fails while other tests use it
	}
}

func (b *bundle) start(t *testing.T) (*runtime.Shim, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sh, pid, err := runtime.Start(ctx, b.opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { sh.Close() })
	return sh, pid
}

func attach(t *testing.T, sh *runtime.Shim, stream string) net.Conn {
	t.Helper()
	c, err := sh.Attach(context.Background(), stream)
	if err != nil {
		t.Fatalf("attach %s: %v", stream, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAll reads c to EOF in the background.
func readAll(c net.Conn) <-chan string {
	ch := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(c)
		ch <- string(data)
	}()
	return ch
}

func wait(t *testing.T, sh *runtime.Shim) runtime.ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := sh.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return st
}

func recv(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("timed out reading an attach stream")
		return ""
	}
}

func readLog(t *testing.T, path string) []jsonfile.Message {
	t.Helper()
	var msgs []jsonfile.Message
	err := jsonfile.Read(context.Background(), path, jsonfile.ReadOptions{Tail: -1}, nil, func(m jsonfile.Message) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// assertGone checks that the shim finished and left no runc state, cgroup
// or socket behind.
func (b *bundle) assertGone(t *testing.T, sh *runtime.Shim) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sh.WaitClosed(ctx); err != nil {
		t.Fatalf("WaitClosed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.opts.RuntimeRoot, b.opts.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runc state left: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", b.cgroup)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup left: %v", err)
	}
	if _, err := os.Stat(b.opts.SocketPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left: %v", err)
	}
	if _, err := runtime.Connect(ctx, b.opts.SocketPath); !errdefs.IsNotFound(err) {
		t.Errorf("Connect after exit = %v, want not found", err)
	}
}

func TestOutputToLogAndAttach(t *testing.T) {
	b := newBundle(t, false, "sh", "-c", "echo hello; echo oops >&2; printf partial")
	sh, _ := b.start(t)
	out1 := readAll(attach(t, sh, "stdout"))
	out2 := readAll(attach(t, sh, "stdout"))
	errs := readAll(attach(t, sh, "stderr"))
	if err := sh.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := wait(t, sh)
	if st.Code != 0 || st.Signal != 0 || st.ExitedAt.IsZero() {
		t.Errorf("exit = %+v, want code 0", st)
	}
	for _, ch := range []<-chan string{out1, out2} {
		if got := recv(t, ch); got != "hello\npartial" {
			t.Errorf("stdout attach = %q", got)
		}
	}
	if got := recv(t, errs); got != "oops\n" {
		t.Errorf("stderr attach = %q", got)
	}
	var got []string
	for _, m := range readLog(t, b.opts.LogPath) {
		got = append(got, m.Stream+":"+string(m.Line))
	}
	sortStreams(got)
	if want := []string{"stderr:oops\n", "stdout:hello\n", "stdout:partial"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log = %q, want %q", got, want)
	}
	b.assertGone(t, sh) // exit.json is written before the shim is gone
	rec, ok, err := runtime.ReadExitStatus(b.opts.Bundle)
	if err != nil || !ok || rec.Code != 0 || !rec.ExitedAt.Equal(st.ExitedAt) {
		t.Errorf("exit.json = %+v %v %v, want %+v", rec, ok, err, st)
	}
}

// sortStreams orders lines by stream, keeping each stream's order: stdout
// and stderr are copied concurrently.
func sortStreams(lines []string) {
	var errs, outs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "stderr:") {
			errs = append(errs, l)
		} else {
			outs = append(outs, l)
		}
	}
	copy(lines, append(errs, outs...))
}

func TestStdinOnce(t *testing.T) {
	b := newBundle(t, false, "cat")
	b.opts.OpenStdin, b.opts.StdinOnce = true, true
	stale := filepath.Join(b.opts.Bundle, runtime.ExitFile) // a previous run's
	if err := os.WriteFile(stale, []byte(`{"code":42}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sh, _ := b.start(t)
	out := readAll(attach(t, sh, "stdout"))
	in := attach(t, sh, "stdin")
	sh.Release(context.Background()) //nolint:errcheck
	if _, err := in.Write([]byte("ping\npong")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := runtime.ReadExitStatus(b.opts.Bundle); ok {
		t.Error("stale exit.json survived the start")
	}
	in.Close() // EOF in the container: cat exits
	if st := wait(t, sh); st.Code != 0 {
		t.Errorf("exit = %+v", st)
	}
	if got := recv(t, out); got != "ping\npong" {
		t.Errorf("stdout = %q", got)
	}
	b.assertGone(t, sh)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		kill   bool
		code   int
		signal int
	}{
		{"zero", []string{"true"}, false, 0, 0},
		{"three", []string{"sh", "-c", "exit 3"}, false, 3, 0},
		{"sigkill", []string{"sleep", "100"}, true, 137, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, false, tt.args...)
			sh, _ := b.start(t)
			sh.Release(context.Background()) //nolint:errcheck
			if tt.kill {
				if err := sh.Kill(context.Background(), syscall.SIGKILL); err != nil {
					t.Fatalf("Kill: %v", err)
				}
			}
			st := wait(t, sh)
			if st.Code != tt.code || st.Signal != tt.signal {
				t.Errorf("exit = %+v, want code %d signal %d", st, tt.code, tt.signal)
			}
			if err := sh.Kill(context.Background(), syscall.SIGKILL); !errdefs.IsNotFound(err) {
				t.Errorf("Kill after exit = %v, want not found", err)
			}
			b.assertGone(t, sh)
		})
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"not found", []string{"/nonexistent"}, 127},
		{"not in PATH", []string{"nonexistent"}, 127},
		{"not executable", []string{"/etc/passwd"}, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, false, tt.args...)
			_, _, err := runtime.Start(context.Background(), b.opts)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			if got := runtime.ExitCodeFromStartError(err); got != tt.code {
				t.Errorf("exit code = %d for %v, want %d", got, err, tt.code)
			}
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%v is not invalid argument", err)
			}
			if _, err := os.Stat(filepath.Join(b.opts.RuntimeRoot, b.opts.ID)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("runc state left: %v", err)
			}
		})
	}
}

func TestTTYResize(t *testing.T) {
	b := newBundle(t, true, "sh", "-c", "read x; stty size; echo done")
	b.opts.OpenStdin = true
	sh, _ := b.start(t)
	out := readAll(attach(t, sh, "stdout"))
	errs := readAll(attach(t, sh, "stderr"))
	in := attach(t, sh, "stdin")
	sh.Release(context.Background()) //nolint:errcheck
	if err := sh.Resize(context.Background(), 123, 45); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("go\n")) //nolint:errcheck
	if st := wait(t, sh); st.Code != 0 {
		t.Errorf("exit = %+v", st)
	}
	got := recv(t, out)
	if !strings.Contains(got, "45 123\r\n") || !strings.Contains(got, "done\r\n") {
		t.Errorf("tty output = %q", got)
	}
	if e := recv(t, errs); e != "" {
		t.Errorf("stderr with a tty = %q", e)
	}
	var logged bytes.Buffer
	for _, m := range readLog(t, b.opts.LogPath) {
		if m.Stream != "stdout" {
			t.Errorf("tty log stream = %q", m.Stream)
		}
		logged.Write(m.Line)
	}
	if logged.String() != got {
		t.Errorf("log = %q, attach = %q", logged.String(), got)
	}
	b.assertGone(t, sh)
}

// TestSurvivesParent starts the shim from a short-lived process (a daemon
// that dies) and drives the container from a fresh client.
func TestSurvivesParent(t *testing.T) {
	b := newBundle(t, false, "sh", "-c", "echo up; sleep 100")
	data, _ := json.Marshal(b.opts)
	cmd := exec.Command(b.opts.ShimBinary)
	cmd.Env = append(os.Environ(), starterEnv+"="+string(data))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("starter: %v: %s", err, out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("starter said %q", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sh, err := runtime.Connect(ctx, b.opts.SocketPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if sh.Pid() != pid {
		t.Errorf("Pid = %d, want %d", sh.Pid(), pid)
	}
	logged := make(chan struct{})
	go func() { // released by the shim's own 3 s timeout: nobody called Release
		jsonfile.Read(ctx, b.opts.LogPath, jsonfile.ReadOptions{Tail: -1, Follow: true}, nil, func(m jsonfile.Message) error { //nolint:errcheck
			if string(m.Line) == "up\n" {
				close(logged)
				return errors.New("found")
			}
			return nil
		})
	}()
	select {
	case <-logged:
	case <-ctx.Done():
		t.Fatal("output never released")
	}
	if err := sh.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if st := wait(t, sh); st.Code != 137 {
		t.Errorf("exit = %+v", st)
	}
	b.assertGone(t, sh)
}

// TestStartLatency reports the time Start takes over `runc run -d` alone
// (averaged over a few runs) and the RSS of an idle shim.
func TestStartLatency(t *testing.T) {
	const runs = 3
	var withShim, bare time.Duration
	rss := 0
	for range runs {
		b := newBundle(t, false, "sleep", "100")
		bare += timeRunc(t, b)
		start := time.Now()
		sh, pid := b.start(t)
		withShim += time.Since(start)
		sh.Release(context.Background()) //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
		rss = max(rss, shimRSS(t, pid))
		sh.Kill(context.Background(), syscall.SIGKILL) //nolint:errcheck
		wait(t, sh)
		b.assertGone(t, sh)
	}
	t.Logf("Start() to pid: %v (runc run -d alone: %v, shim overhead %v, mean of %d); idle shim RSS %d KiB",
		withShim/runs, bare/runs, (withShim-bare)/runs, runs, rss)
}

func timeRunc(t *testing.T, b *bundle) time.Duration {
	t.Helper()
	root := filepath.Join(t.TempDir(), "runc")
	id := b.opts.ID + "-bare"
	cg := "/berth-test/" + id
	run := func(args ...string) error {
		return exec.Command("runc", append([]string{"--root", root}, args...)...).Run()
	}
	writeConfig(t, b.opts.Bundle, cg, false, []string{"true"})
	defer writeConfig(t, b.opts.Bundle, b.cgroup, false, []string{"sleep", "100"})
	start := time.Now()
	err := run("run", "-d", "--pid-file", filepath.Join(root, "pid"), "--bundle", b.opts.Bundle, id)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("runc run -d: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	run("delete", "--force", id) //nolint:errcheck
	for _, c := range []string{"memory", "pids", "cpu", "freezer", "devices", "blkio", "cpuset"} {
		os.Remove(filepath.Join("/sys/fs/cgroup", c, cg))
	}
	return elapsed
}

// shimRSS reads VmRSS of the shim, the parent of the container's init.
func shimRSS(t *testing.T, pid int) int {
	t.Helper()
	ppid := statusField(t, pid, "PPid:")
	return statusField(t, ppid, "VmRSS:")
}

func statusField(t *testing.T, pid int, field string) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 1 && fields[0] == field {
			n, _ := strconv.Atoi(fields[1])
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestSlowAttachDoesNotBlock attaches a reader that never reads and one that
// hangs up: the container must still run to the end and log everything.
func TestSlowAttachDoesNotBlock(t *testing.T) {
	const size = 8 << 20 // past the 4 MiB a slow client may queue
	// In 1 MiB bursts 50 ms apart: the reader that keeps up must never fall
	// 4 MiB behind, even when a loaded machine holds the test process back
	// for a moment (one 8 MiB burst is written in a few milliseconds).
	b := newBundle(t, false, "sh", "-c", fmt.Sprintf("for i in 1 2 3 4 5 6 7 8; do yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c %d; sleep 0.05; done", size/8))
	b.opts.LogMaxSize = 0 // keep every byte to count it
	sh, _ := b.start(t)
	attach(t, sh, "stdout")         // never read
	attach(t, sh, "stdout").Close() // gone
	fast := readAll(attach(t, sh, "stdout"))
	sh.Release(context.Background()) //nolint:errcheck
	if st := wait(t, sh); st.Code != 0 {
		t.Errorf("exit = %+v", st)
	}
	if got := recv(t, fast); len(got) != size {
		t.Errorf("fast reader got %d bytes, want %d", len(got), size)
	}
	n := 0
	for _, m := range readLog(t, b.opts.LogPath) {
		n += len(m.Line)
	}
	if n != size {
		t.Errorf("logged %d bytes", n)
	}
	b.assertGone(t, sh)
}
