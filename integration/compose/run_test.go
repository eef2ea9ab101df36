package compose

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestComposeRunDependencies: `compose run app` brings up app's
// dependencies first (db healthy, cache started) and nothing else; the
// one-off container publishes app's ports only with --service-ports, or
// what -p names; -e, -u, -w, -v, --entrypoint, -l and --name apply.
func TestComposeRunDependencies(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	dir, port := caseDir(t, "rundeps"), freePort(t)
	env := []string{"APP_PORT=" + strconv.Itoa(port)}
	t.Cleanup(func() { run(t, d, dir, env, d.Binary, "compose", "-p", "rd", "down", "-v") })

	out := compose(t, d, dir, env, "-p", "rd", "run", "--rm", "app", "sh", "-c", "test -f /shared/ready && echo deps-ready")
	if !strings.Contains(out, "deps-ready") {
		t.Errorf("run before db was healthy: %q", out)
	}
	ctrs := byName(projectContainers(t, c, "rd"))
	if len(ctrs) != 2 || ctrs["rd-db-1"].State != "running" || ctrs["rd-cache-1"].State != "running" {
		t.Fatalf("after run: want db and cache running only, got %v", ctrs)
	}
	res, err := c.ContainerInspect(t.Context(), "rd-db-1", client.ContainerInspectOptions{})
	if err != nil || res.Container.State.Health == nil || res.Container.State.Health.Status != "healthy" {
		t.Errorf("db not healthy: %v", err)
	}
	// A second run reuses the running dependencies.
	compose(t, d, dir, env, "-p", "rd", "run", "--rm", "app", "true")
	if again := byName(projectContainers(t, c, "rd")); again["rd-db-1"].ID != ctrs["rd-db-1"].ID || len(again) != 2 {
		t.Errorf("second run changed the dependencies: %v", again)
	}

	// Ports: none by default, the service's with --service-ports, -p ones.
	compose(t, d, dir, env, "-p", "rd", "run", "-d", "--name", "rd-noports", "app", "sleep", "60")
	res, err = c.ContainerInspect(t.Context(), "rd-noports", client.ContainerInspectOptions{})
	if err != nil || len(res.Container.HostConfig.PortBindings) != 0 {
		t.Errorf("run without --service-ports published %v (%v)", res.Container.HostConfig.PortBindings, err)
	}
	serve := []string{"sh", "-c", "echo served-by-run > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"}
	compose(t, d, dir, env, append([]string{"-p", "rd", "run", "-d", "--service-ports", "app"}, serve...)...)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	waitFor(t, 20*time.Second, "--service-ports to publish "+url, func() bool { return strings.Contains(httpGet(url), "served-by-run") })
	port2 := freePort(t)
	compose(t, d, dir, env, append([]string{"-p", "rd", "run", "-d", "--no-deps", "-p", "127.0.0.1:" + strconv.Itoa(port2) + ":8080", "app"}, serve...)...)
	url2 := "http://127.0.0.1:" + strconv.Itoa(port2) + "/"
	waitFor(t, 20*time.Second, "-p to publish "+url2, func() bool { return strings.Contains(httpGet(url2), "served-by-run") })

	// -e -u -w -v --entrypoint (split as a shell would), -l --name.
	mnt := t.TempDir()
	if err := os.WriteFile(filepath.Join(mnt, "f"), []byte("from-bind\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = compose(t, d, dir, env, "-p", "rd", "run", "--rm", "--no-deps", "-e", "EXTRA=x", "-u", "1000", "-w", "/tmp",
		"-v", mnt+":/mnt:ro", "--entrypoint", "sh -c", "app", "echo $EXTRA $FROM_FILE $(id -u) $(pwd); cat /mnt/f")
	if !strings.Contains(out, "x compose 1000 /tmp") || !strings.Contains(out, "from-bind") {
		t.Errorf("run flags: %q", out)
	}
	compose(t, d, dir, env, "-p", "rd", "run", "-d", "--no-deps", "-l", "com.example.k=v", "--name", "rd-labelled", "app", "sleep", "60")
	res, err = c.ContainerInspect(t.Context(), "rd-labelled", client.ContainerInspectOptions{})
	if err != nil || res.Container.Config.Labels["com.example.k"] != "v" || res.Container.Config.Labels["com.docker.compose.oneoff"] != "True" {
		t.Errorf("run -l: %v (%v)", res.Container.Config.Labels, err)
	}
	compose(t, d, dir, env, "-p", "rd", "down", "-v")
	assertGone(t, c, "rd")
}

// TestComposeRunNoDeps: with --no-deps nothing but the one-off runs.
func TestComposeRunNoDeps(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	dir := caseDir(t, "rundeps")
	t.Cleanup(func() { run(t, d, dir, nil, d.Binary, "compose", "-p", "rn", "down", "-v") })
	if out := compose(t, d, dir, nil, "-p", "rn", "run", "--rm", "--no-deps", "app", "echo", "no-deps-ran"); !strings.Contains(out, "no-deps-ran") {
		t.Errorf("run --no-deps: %q", out)
	}
	if ctrs := projectContainers(t, c, "rn"); len(ctrs) != 0 {
		t.Errorf("run --no-deps --rm left %d containers: %v", len(ctrs), byName(ctrs))
	}
	compose(t, d, dir, nil, "-p", "rn", "down", "-v")
	assertGone(t, c, "rn")
}

// TestDockerComposeV1RunDeps: docker-compose v1's run starts the
// dependencies (not unrelated services) unless --no-deps, and publishes
// the service's ports with --service-ports.
func TestDockerComposeV1RunDeps(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	c := d.Client(t)
	dir, port := caseDir(t, "rundeps"), freePort(t)
	env := []string{"APP_PORT=" + strconv.Itoa(port), "COMPOSE_INTERACTIVE_NO_CLI=1"}
	v1 := func(args ...string) string {
		return dc(t, d, dir, env, append([]string{"-f", "compose.yaml", "-p", "v1rd"}, args...)...)
	}
	t.Cleanup(func() { run(t, d, dir, env, dockerCompose, "-f", "compose.yaml", "-p", "v1rd", "down", "-v") })

	if out := v1("run", "--rm", "-T", "--no-deps", "app", "sh", "-c", "sleep 1; echo v1-no-deps"); !strings.Contains(out, "v1-no-deps") {
		t.Errorf("run --no-deps: %q", out)
	}
	if ctrs := projectContainers(t, c, "v1rd"); len(ctrs) != 0 {
		t.Errorf("run --no-deps --rm left %v", byName(ctrs))
	}
	if out := v1("run", "--rm", "-T", "app", "sh", "-c", "sleep 1; echo v1-ran"); !strings.Contains(out, "v1-ran") {
		t.Errorf("run: %q", out)
	}
	ctrs := byName(projectContainers(t, c, "v1rd"))
	if len(ctrs) != 2 || ctrs["v1rd_db_1"].State != "running" || ctrs["v1rd_cache_1"].State != "running" {
		t.Errorf("after run: want db and cache running only, got %v", ctrs)
	}
	v1("run", "-d", "--service-ports", "app", "sh", "-c", "echo v1-served > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	waitFor(t, 20*time.Second, "--service-ports to publish "+url, func() bool { return strings.Contains(httpGet(url), "v1-served") })
	v1("down", "-v")
	assertGone(t, c, "v1rd")
}
