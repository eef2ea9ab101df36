package runtime_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/runtime"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func execProc(args ...string) *specs.Process {
	return &specs.Process{Args: args, Cwd: "/", Env: []string{"PATH=/bin:/usr/bin"}}
}

// TestExec runs exec processes beside the container's init: output and
// exit codes, stdin, a missing command, and pause/resume around them.
func TestExec(t *testing.T) {
	b := newBundle(t, false, "sleep", "100")
	sh, _ := b.start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pid, err := sh.Exec(ctx, runtime.ExecOptions{ID: "e1", Process: execProc("sh", "-c", "echo out; echo err >&2; exit 7")})
	if err != nil || pid <= 0 {
		t.Fatalf("Exec: %d %v", pid, err)
	}
	out, errc := execAttach(t, sh, "e1", "stdout"), execAttach(t, sh, "e1", "stderr")
	if err := sh.ExecRelease(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	st, err := sh.ExecWait(ctx, "e1")
	if err != nil || st.Code != 7 {
		t.Fatalf("ExecWait: %+v %v", st, err)
	}
	if o, e := recv(t, out.ch), recv(t, errc.ch); o != "out\n" || e != "err\n" {
		t.Errorf("stdout %q stderr %q", o, e)
	}

	if _, err := sh.Exec(ctx, runtime.ExecOptions{ID: "e2", Process: execProc("cat"), Stdin: true}); err != nil {
		t.Fatal(err)
	}
	out = execAttach(t, sh, "e2", "stdout")
	in := execAttach(t, sh, "e2", "stdin")
	sh.ExecRelease(ctx, "e2") //nolint:errcheck
	in.Write([]byte("piped")) //nolint:errcheck
	in.Close()
	if st, err := sh.ExecWait(ctx, "e2"); err != nil || st.Code != 0 || recv(t, out.ch) != "piped" {
		t.Errorf("stdin exec: %+v %v", st, err)
	}

	_, err = sh.Exec(ctx, runtime.ExecOptions{ID: "e3", Process: execProc("no-such-command")})
	if code := runtime.ExitCodeFromStartError(err); code != 127 {
		t.Errorf("missing command: code %d err %v", code, err)
	}

	if err := sh.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if state := freezerState(t, b); state != "FROZEN" {
		t.Errorf("freezer state after pause %q", state)
	}
	if _, err := sh.Exec(ctx, runtime.ExecOptions{ID: "e4", Process: execProc("true")}); !errdefs.IsConflict(err) {
		t.Errorf("exec while paused: %v", err)
	}
	if err := sh.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.ExecWait(ctx, "nosuch"); !errdefs.IsNotFound(err) {
		t.Errorf("wait for an unknown exec: %v", err)
	}

	// An exec running when the container stops gets a status too.
	if _, err := sh.Exec(ctx, runtime.ExecOptions{ID: "e5", Process: execProc("sleep", "100")}); err != nil {
		t.Fatal(err)
	}
	sh.ExecRelease(ctx, "e5") //nolint:errcheck
	if err := sh.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sh.Kill(ctx, syscall.SIGKILL); err != nil { // thaws the paused container
		t.Fatal(err)
	}
	if st, err := sh.ExecWait(ctx, "e5"); err != nil || st.Code != 137 {
		t.Errorf("exec of a killed container: %+v %v", st, err)
	}
	if st := wait(t, sh); st.Code != 137 {
		t.Errorf("container exit %+v", st)
	}
	b.assertGone(t, sh)
}

func execAttach(t *testing.T, sh *runtime.Shim, id, stream string) chanOrConn {
	t.Helper()
	c, err := sh.ExecAttach(context.Background(), id, stream)
	if err != nil {
		t.Fatalf("exec attach %s: %v", stream, err)
	}
	t.Cleanup(func() { c.Close() })
	if stream == "stdin" {
		return chanOrConn{conn: c}
	}
	return chanOrConn{ch: readAll(c)}
}

// chanOrConn is an output stream being read, or a stdin to write.
type chanOrConn struct {
	ch   <-chan string
	conn interface {
		Write([]byte) (int, error)
		Close() error
	}
}

func (c chanOrConn) Write(p []byte) (int, error) { return c.conn.Write(p) }
func (c chanOrConn) Close() error                { return c.conn.Close() }

func freezerState(t *testing.T, b *bundle) string {
	t.Helper()
	for _, p := range []string{
		filepath.Join("/sys/fs/cgroup/freezer", b.cgroup, "freezer.state"),
		filepath.Join("/sys/fs/cgroup", b.cgroup, "cgroup.freeze"),
	} {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s := strings.TrimSpace(string(data))
		if s == "1" {
			return "FROZEN"
		}
		return s
	}
	t.Fatal("no freezer for the container")
	return ""
}
