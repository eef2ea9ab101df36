package compose

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// httpGet fetches url, returning "" on any error.
func httpGet(url string) string {
	hc := http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestComposeWebDB(t *testing.T) {
	d := newDaemon(t)
	dir, port := caseDir(t, "webdb"), freePort(t)
	env := portEnv(port)
	compose(t, d, dir, env, "-p", "webdb", "up", "-d")
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	waitFor(t, 20*time.Second, "web to serve db's page", func() bool { return strings.Contains(httpGet(url), "hello-from-db") })

	ps := compose(t, d, dir, env, "-p", "webdb", "ps")
	for _, want := range []string{"webdb-db-1", "webdb-web-1", "127.0.0.1:" + strconv.Itoa(port) + "->80/tcp"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps lacks %q:\n%s", want, ps)
		}
	}
	c := d.Client(t)
	ctrs := byName(projectContainers(t, c, "webdb"))
	web, ok := ctrs["webdb-web-1"]
	if !ok {
		t.Fatalf("containers: %v", ctrs)
	}
	for k, v := range map[string]string{"com.docker.compose.project": "webdb", "com.docker.compose.service": "web",
		"com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False"} {
		if web.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, web.Labels[k], v)
		}
	}
	for _, k := range []string{"com.docker.compose.config-hash", "com.docker.compose.project.working_dir", "com.docker.compose.project.config_files"} {
		if web.Labels[k] == "" {
			t.Errorf("label %s missing", k)
		}
	}
	if _, err := c.NetworkInspect(context.Background(), "webdb_default", client.NetworkInspectOptions{}); err != nil {
		t.Errorf("network webdb_default: %v", err)
	}

	// exec by service name; port; logs.
	if got := compose(t, d, dir, env, "-p", "webdb", "exec", "-T", "web", "wget", "-q", "-O-", "http://db/"); !strings.Contains(got, "hello-from-db") {
		t.Errorf("exec wget db: %q", got)
	}
	if got := compose(t, d, dir, env, "-p", "webdb", "port", "web", "80"); strings.TrimSpace(got) != "127.0.0.1:"+strconv.Itoa(port) {
		t.Errorf("port: %q", got)
	}
	r := run(t, d, dir, env, d.Binary, "compose", "-p", "webdb", "exec", "-T", "web", "sh", "-c", "exit 7")
	if r.code != 7 {
		t.Errorf("exec exit code = %d, want 7", r.code)
	}
	// With a terminal on stdin, exec allocates a TTY (script(1) provides one).
	if r := run(t, d, dir, env, "script", "-qec", d.Binary+" compose -p webdb exec web tty", "/dev/null"); !strings.Contains(r.out, "/dev/pts/") {
		t.Errorf("exec with a terminal: %q %q (exit %d)", r.out, r.err, r.code)
	}
	if got := compose(t, d, dir, env, "-p", "webdb", "run", "--rm", "db", "cat", "/data/index.html"); !strings.Contains(got, "hello-from-db") {
		t.Errorf("run --rm: %q", got)
	}
	if n := len(projectContainers(t, c, "webdb")); n != 2 {
		t.Errorf("after run --rm: %d containers, want 2", n)
	}

	// The named volume survives down/up: write a marker, recreate all.
	compose(t, d, dir, env, "-p", "webdb", "exec", "-T", "db", "sh", "-c", "echo kept > /data/marker")
	compose(t, d, dir, env, "-p", "webdb", "down")
	if n := len(projectContainers(t, c, "webdb")); n != 0 {
		t.Fatalf("after down: %d containers", n)
	}
	if _, err := c.VolumeInspect(context.Background(), "webdb_data", client.VolumeInspectOptions{}); err != nil {
		t.Fatalf("volume gone after down: %v", err)
	}
	compose(t, d, dir, env, "-p", "webdb", "up", "-d")
	if got := compose(t, d, dir, env, "-p", "webdb", "exec", "-T", "db", "cat", "/data/marker"); strings.TrimSpace(got) != "kept" {
		t.Errorf("marker after down/up = %q", got)
	}
	logs := compose(t, d, dir, env, "-p", "webdb", "logs", "db")
	_ = logs

	// down -v removes everything the project created.
	compose(t, d, dir, env, "-p", "webdb", "down", "-v")
	assertGone(t, c, "webdb")
}

func assertGone(t *testing.T, c *client.Client, project string) {
	t.Helper()
	ctx := context.Background()
	f := make(client.Filters).Add("label", "com.docker.compose.project="+project)
	if n := len(projectContainers(t, c, project)); n != 0 {
		t.Errorf("%d containers left", n)
	}
	nets, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil || len(nets.Items) != 0 {
		t.Errorf("networks left: %v %v", nets.Items, err)
	}
	vols, err := c.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil || len(vols.Items) != 0 {
		t.Errorf("volumes left: %v %v", vols.Items, err)
	}
}

func TestComposeDependsOnHealthy(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "healthy")
	compose(t, d, dir, nil, "-p", "healthy", "up", "-d", "--wait", "--wait-timeout", "60")
	c := d.Client(t)
	ctrs := byName(projectContainers(t, c, "healthy"))
	for _, name := range []string{"healthy-db-1", "healthy-app-1", "healthy-after-1"} {
		if ctrs[name].State != "running" {
			t.Errorf("%s is %q (%s)", name, ctrs[name].State, ctrs[name].Status)
		}
	}
	if ctrs["healthy-init-1"].State != "exited" {
		t.Errorf("init is %q", ctrs["healthy-init-1"].State)
	}
	compose(t, d, dir, nil, "-p", "healthy", "down", "-v")
	assertGone(t, c, "healthy")
}

func TestComposeScale(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "scale")
	c := d.Client(t)
	compose(t, d, dir, nil, "-p", "scale", "up", "-d")
	if n := len(projectContainers(t, c, "scale")); n != 2 {
		t.Fatalf("deploy.replicas 2: %d containers", n)
	}
	compose(t, d, dir, nil, "-p", "scale", "up", "-d", "--scale", "worker=3")
	ctrs := byName(projectContainers(t, c, "scale"))
	for _, n := range []string{"scale-worker-1", "scale-worker-2", "scale-worker-3"} {
		if ctrs[n].State != "running" {
			t.Errorf("%s: %q %s\n%s", n, ctrs[n].State, ctrs[n].Status, compose(t, d, dir, nil, "-p", "scale", "logs"))
		}
	}
	info, err := c.ContainerInspect(context.Background(), "scale-worker-3", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hc := info.Container.HostConfig; hc.Memory != 64<<20 || hc.NanoCPUs != 5e8 {
		t.Errorf("limits: memory %d cpus %d", hc.Memory, hc.NanoCPUs)
	}
	compose(t, d, dir, nil, "-p", "scale", "up", "-d", "--scale", "worker=1")
	if names := byName(projectContainers(t, c, "scale")); len(names) != 1 || names["scale-worker-1"].ID == "" {
		t.Errorf("scale down to 1: %v", names)
	}
	compose(t, d, dir, nil, "-p", "scale", "down")
	assertGone(t, c, "scale")
}

func TestComposeBuild(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "build")
	c := d.Client(t)
	compose(t, d, dir, nil, "-p", "bld", "build")
	compose(t, d, dir, nil, "-p", "bld", "up", "-d")
	for cmd, want := range map[string]string{"cat /built.txt": "built-by-compose", "cat /greeting.txt": "hi",
		"echo $FROM_ENV_FILE $APP_ENV": "dotenv-value from-env-file", "pwd": "/tmp", "id -u": "1000",
		"grep somehost /etc/hosts": "10.1.2.3", "cat /run/secrets/token": "s3cret", "cat /etc/app.conf": "mode=test"} {
		if got := compose(t, d, dir, nil, "-p", "bld", "exec", "-T", "app", "sh", "-c", cmd); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", cmd, got, want)
		}
	}
	if imgs := compose(t, d, dir, nil, "-p", "bld", "images"); !strings.Contains(imgs, "bld-app") {
		t.Errorf("images: %s", imgs)
	}
	compose(t, d, dir, nil, "-p", "bld", "down", "--rmi", "local")
	if _, err := c.ImageInspect(context.Background(), "bld-app"); err == nil {
		t.Error("image bld-app survived down --rmi local")
	}
	assertGone(t, c, "bld")
}

func TestComposeRecreatesOnlyChanged(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "recreate")
	c := d.Client(t)
	compose(t, d, dir, nil, "-p", "rc", "up", "-d")
	before := byName(projectContainers(t, c, "rc"))
	if len(before) != 2 {
		t.Fatalf("want a and b (extra is in a profile): %v", before)
	}
	compose(t, d, dir, nil, "-p", "rc", "up", "-d")
	same := byName(projectContainers(t, c, "rc"))
	for n, ctr := range before {
		if same[n].ID != ctr.ID {
			t.Errorf("%s recreated by an idempotent up", n)
		}
	}
	compose(t, d, dir, []string{"B_VALUE=two"}, "-p", "rc", "up", "-d")
	after := byName(projectContainers(t, c, "rc"))
	if after["rc-a-1"].ID != before["rc-a-1"].ID {
		t.Error("a was recreated though unchanged")
	}
	if after["rc-b-1"].ID == before["rc-b-1"].ID || after["rc-b-1"].State != "running" {
		t.Errorf("b not recreated/running: %+v", after["rc-b-1"])
	}
	compose(t, d, dir, nil, "-p", "rc", "-f", "compose.yaml", "-f", "more.yaml", "up", "-d")
	merged := byName(projectContainers(t, c, "rc"))
	if merged["rc-c-1"].State != "running" || merged["rc-a-1"].ID != before["rc-a-1"].ID {
		t.Errorf("-f merge: %v", merged)
	}
	compose(t, d, dir, nil, "-p", "rc", "up", "-d", "--remove-orphans")
	if _, ok := byName(projectContainers(t, c, "rc"))["rc-c-1"]; ok {
		t.Error("--remove-orphans left rc-c-1")
	}
	compose(t, d, dir, nil, "-p", "rc", "--profile", "debug", "up", "-d")
	if _, ok := byName(projectContainers(t, c, "rc"))["rc-extra-1"]; !ok {
		t.Error("--profile debug did not start extra")
	}
	compose(t, d, dir, nil, "-p", "rc", "stop")
	for n, ctr := range byName(projectContainers(t, c, "rc")) {
		if ctr.State != "exited" {
			t.Errorf("after stop %s is %s", n, ctr.State)
		}
	}
	compose(t, d, dir, nil, "-p", "rc", "start", "a")
	if byName(projectContainers(t, c, "rc"))["rc-a-1"].State != "running" {
		t.Error("start a")
	}
	compose(t, d, dir, nil, "-p", "rc", "restart", "b")
	if byName(projectContainers(t, c, "rc"))["rc-b-1"].State != "running" {
		t.Error("restart b")
	}
	// Without the files, -p alone finds the project by its labels.
	elsewhere := t.TempDir()
	if ps := compose(t, d, elsewhere, nil, "-p", "rc", "ps", "-a"); !strings.Contains(ps, "rc-a-1") {
		t.Errorf("ps without files: %s", ps)
	}
	compose(t, d, elsewhere, nil, "-p", "rc", "down")
	assertGone(t, c, "rc")
}

func TestComposeBadInput(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	out := composeFail(t, d, caseDir(t, "bad-key"), nil, "up", "-d")
	if !strings.Contains(out, "compose.yaml") || !strings.Contains(out, "comand") {
		t.Errorf("bad key error lacks file and key: %s", out)
	}
	out = composeFail(t, d, caseDir(t, "cycle"), nil, "up", "-d")
	if !strings.Contains(out, "cycle") {
		t.Errorf("cycle error: %s", out)
	}
	out = composeFail(t, d, caseDir(t, "recreate"), nil, "-p", "unk", "up", "-d", "nosuch")
	if !strings.Contains(out, "nosuch") {
		t.Errorf("unknown service error: %s", out)
	}
	out = composeFail(t, d, caseDir(t, "port-conflict"), nil, "up", "-d")
	if !strings.Contains(out, "18999") {
		t.Errorf("port conflict error: %s", out)
	}
	for _, p := range []string{"bad-key", "cycle", "unk", "port-conflict"} {
		assertGone(t, c, p)
	}
	if out := compose(t, d, caseDir(t, "recreate"), nil, "config", "--services"); out != "a\nb\n" {
		t.Errorf("config --services = %q", out)
	}
}

func TestComposeUpAttached(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "attached")
	out := compose(t, d, dir, nil, "-p", "att", "up")
	for _, want := range []string{"att-hello-1 | hello from", "att-hello-1 | to-stderr", "att-count-1 | count 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	if got := compose(t, d, dir, nil, "-p", "att", "ps", "-a", "--services"); got != "count\nhello\n" {
		t.Errorf("ps --services: %q", got)
	}
	if got := compose(t, d, dir, nil, "-p", "att", "logs", "--no-log-prefix", "count"); got != "count 1\ncount 2\ncount 3\n" {
		t.Errorf("logs: %q", got)
	}
	compose(t, d, dir, nil, "-p", "att", "down")
	assertGone(t, d.Client(t), "att")
}

func TestComposeFailedUpRollsBack(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	env := []string{"BUSY_PORT=" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)}
	dir := caseDir(t, "port-busy")
	out := composeFail(t, d, dir, env, "-p", "busy", "up", "-d")
	if !strings.Contains(out, "Rolled back") {
		t.Errorf("no rollback reported: %s", out)
	}
	assertGone(t, c, "busy")
	composeFail(t, d, dir, env, "-p", "busy", "up", "-d", "--no-rollback")
	if n := len(projectContainers(t, c, "busy")); n != 2 {
		t.Errorf("--no-rollback kept %d containers, want 2", n)
	}
	compose(t, d, dir, env, "-p", "busy", "down", "-v")
	assertGone(t, c, "busy")
}
