// Package compose holds black-box tests of `berth compose` (and of Debian's
// docker-compose v1) against a real Berth daemon, on the projects under
// test/compose/<case>/.
package compose

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func newDaemon(t *testing.T) *daemon.Daemon {
	t.Helper()
	d := daemon.New(t)
	d.Start(t)
	d.ImportBusybox(t)
	return d
}

// caseDir is test/compose/<name>.
func caseDir(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "test", "compose", name)
}

// result is one CLI run.
type result struct {
	out, err string
	code     int
}

// run runs name args in dir against d with extra environment.
func run(t *testing.T, d *daemon.Daemon, dir string, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPOSE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DOCKER_HOST="+d.Host(), "BERTH_HOST="+d.Host())
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out: out.String(), err: errb.String()}
	if err != nil {
		r.code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		}
	}
	return r
}

// compose runs `berth compose args` in dir and fails t on error.
func compose(t *testing.T, d *daemon.Daemon, dir string, env []string, args ...string) string {
	t.Helper()
	r := run(t, d, dir, env, d.Binary, append([]string{"compose"}, args...)...)
	if r.code != 0 {
		t.Fatalf("berth compose %s: exit %d\nstdout: %s\nstderr: %s\ndaemon log:\n%s", strings.Join(args, " "), r.code, r.out, r.err, tail(d.Log(), 3000))
	}
	return r.out
}

// composeFail runs `berth compose args` expecting failure; it returns
// stdout and stderr together.
func composeFail(t *testing.T, d *daemon.Daemon, dir string, env []string, args ...string) string {
	t.Helper()
	r := run(t, d, dir, env, d.Binary, append([]string{"compose"}, args...)...)
	if r.code == 0 {
		t.Fatalf("berth compose %s succeeded, want failure\nstdout: %s", strings.Join(args, " "), r.out)
	}
	return r.out + r.err
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// freePort returns a TCP port free on 127.0.0.1 right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// projectContainers lists the project's containers by label.
func projectContainers(t *testing.T, c *client.Client, project string) []container.Summary {
	t.Helper()
	res, err := c.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", "com.docker.compose.project="+project)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Items
}

// byName maps container name → summary.
func byName(list []container.Summary) map[string]container.Summary {
	m := map[string]container.Summary{}
	for _, c := range list {
		m[strings.TrimPrefix(c.Names[0], "/")] = c
	}
	return m
}

// waitFor polls cond every 100ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func portEnv(port int) []string { return []string{"WEB_PORT=" + strconv.Itoa(port)} }
