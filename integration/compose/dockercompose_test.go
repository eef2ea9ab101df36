package compose

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

const dockerCompose = "/usr/bin/docker-compose"

// dc runs Debian's docker-compose (v1, Python) against d.
func dc(t *testing.T, d *daemon.Daemon, dir string, env []string, args ...string) string {
	t.Helper()
	r := run(t, d, dir, env, dockerCompose, args...)
	if r.code != 0 {
		t.Fatalf("docker-compose %s: exit %d\nstdout: %s\nstderr: %s\ndaemon log:\n%s", strings.Join(args, " "), r.code, r.out, r.err, tail(d.Log(), 4000))
	}
	return r.out
}

// TestDockerComposeV1WebDB brings the web+db project up and down with the
// real docker-compose v1.29 client.
func TestDockerComposeV1WebDB(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	dir, port := caseDir(t, "webdb"), freePort(t)
	env := append(portEnv(port), "COMPOSE_INTERACTIVE_NO_CLI=1")
	dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1webdb", "up", "-d")
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	waitFor(t, 20*time.Second, "web to serve db's page", func() bool { return strings.Contains(httpGet(url), "hello-from-db") })
	ps := dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1webdb", "ps")
	for _, want := range []string{"v1webdb_db_1", "v1webdb_web_1", "Up"} {
		if !strings.Contains(ps, want) {
			t.Errorf("docker-compose ps lacks %q:\n%s", want, ps)
		}
	}
	// Both clients see the same project through the labels.
	if out := compose(t, d, dir, env, "-p", "v1webdb", "ps"); !strings.Contains(out, "v1webdb_web_1") {
		t.Errorf("berth compose ps does not see docker-compose's containers:\n%s", out)
	}
	v1 := func(args ...string) string {
		return dc(t, d, dir, env, append([]string{"-f", "compose.yaml", "-p", "v1webdb"}, args...)...)
	}
	if got := v1("exec", "-T", "web", "wget", "-q", "-O-", "http://db/"); !strings.Contains(got, "hello-from-db") {
		t.Errorf("exec: %q", got)
	}
	// docker-compose v1 under Python 3 opens the attach sockets only after
	// the start (a lazy map in dockerpty), so output of a command that ends
	// at once may be lost, with Docker too: give the command a moment.
	if got := v1("run", "--rm", "-T", "db", "sh", "-c", "sleep 1; cat /data/index.html"); !strings.Contains(got, "hello-from-db") {
		t.Errorf("run --rm: %q\ndaemon log:\n%s", got, tail(d.Log(), 6000))
	}
	if got := v1("port", "web", "80"); strings.TrimSpace(got) != "127.0.0.1:"+strconv.Itoa(port) {
		t.Errorf("port: %q", got)
	}
	if got := v1("top"); !strings.Contains(got, "httpd") {
		t.Errorf("top: %q", got)
	}
	if got := v1("images"); !strings.Contains(got, "busybox") {
		t.Errorf("images: %q", got)
	}
	v1("logs", "--no-color", "db")
	v1("restart", "db")
	v1("stop")
	v1("start")
	waitFor(t, 20*time.Second, "web after start", func() bool { return strings.Contains(httpGet(url), "hello-from-db") })
	v1("down", "-v")
	assertGone(t, d.Client(t), "v1webdb")
}

// TestDockerComposeV1Cases runs the other projects with docker-compose v1:
// health conditions, scaling, a build, down -v / --rmi local.
func TestDockerComposeV1Cases(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	c := d.Client(t)
	for _, tc := range []struct {
		dir     string
		up      []string
		running []string
		exec    []string // service and command whose output must contain want
		want    string
	}{
		{dir: "healthy", running: []string{"v1healthy_db_1", "v1healthy_app_1", "v1healthy_after_1"}},
		{dir: "scale", up: []string{"--scale", "worker=3"}, running: []string{"v1scale_worker_1", "v1scale_worker_2", "v1scale_worker_3"}},
		{dir: "build", running: []string{"v1build_app_1"}, exec: []string{"app", "cat", "/greeting.txt"}, want: "hi"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir, p := caseDir(t, tc.dir), "v1"+tc.dir
			dc(t, d, dir, nil, append([]string{"-f", "compose.yaml", "-p", p, "up", "-d"}, tc.up...)...)
			ctrs := byName(projectContainers(t, c, p))
			for _, n := range tc.running {
				if ctrs[n].State != "running" {
					t.Errorf("%s: %q (%s)", n, ctrs[n].State, ctrs[n].Status)
				}
			}
			if tc.exec != nil {
				if got := dc(t, d, dir, nil, append([]string{"-f", "compose.yaml", "-p", p, "exec", "-T"}, tc.exec...)...); !strings.Contains(got, tc.want) {
					t.Errorf("exec %v: %q", tc.exec, got)
				}
			}
			dc(t, d, dir, nil, "-f", "compose.yaml", "-p", p, "down", "-v", "--rmi", "local")
			assertGone(t, c, p)
		})
	}
}
