package compose

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// composeErr runs `berth compose args`, fails t on error and returns
// stderr (where progress lines and warnings go).
func composeErr(t *testing.T, d *daemon.Daemon, dir string, env []string, args ...string) string {
	t.Helper()
	r := run(t, d, dir, env, d.Binary, append([]string{"compose"}, args...)...)
	if r.code != 0 {
		t.Fatalf("berth compose %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r.err
}

func countLines(s string) int { return len(strings.Fields(s)) }

// TestComposeUpDownFlags covers up --no-start, --no-recreate,
// --force-recreate (and their conflict), orphans on up and down with and
// without --remove-orphans, and ps -a/-q/--status/--format json.
func TestComposeUpDownFlags(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	dir := caseDir(t, "recreate")
	t.Cleanup(func() { run(t, d, dir, nil, d.Binary, "compose", "-p", "fl", "down", "--remove-orphans") })

	compose(t, d, dir, nil, "-p", "fl", "up", "--no-start")
	created := byName(projectContainers(t, c, "fl"))
	if len(created) != 2 || created["fl-a-1"].State != "created" || created["fl-b-1"].State != "created" {
		t.Fatalf("up --no-start: %v", created)
	}
	if n := countLines(compose(t, d, dir, nil, "-p", "fl", "ps", "-q")); n != 0 {
		t.Errorf("ps -q lists %d containers, none is running", n)
	}
	if n := countLines(compose(t, d, dir, nil, "-p", "fl", "ps", "-q", "--status", "created")); n != 2 {
		t.Errorf("ps --status created lists %d containers, want 2", n)
	}

	compose(t, d, dir, []string{"B_VALUE=two"}, "-p", "fl", "up", "-d", "--no-recreate")
	kept := byName(projectContainers(t, c, "fl"))
	if kept["fl-b-1"].ID != created["fl-b-1"].ID || kept["fl-b-1"].State != "running" {
		t.Errorf("up --no-recreate recreated or did not start b: %+v", kept["fl-b-1"])
	}
	compose(t, d, dir, nil, "-p", "fl", "up", "-d", "--force-recreate")
	forced := byName(projectContainers(t, c, "fl"))
	for n, ctr := range kept {
		if forced[n].ID == ctr.ID || forced[n].State != "running" {
			t.Errorf("up --force-recreate kept %s", n)
		}
	}
	if out := composeFail(t, d, dir, nil, "-p", "fl", "up", "-d", "--force-recreate", "--no-recreate"); !strings.Contains(out, "incompatible") {
		t.Errorf("--force-recreate --no-recreate: %s", out)
	}

	// ps --format json: one object per line, with Docker Compose's fields.
	out := compose(t, d, dir, nil, "-p", "fl", "ps", "--format", "json")
	var services []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("ps --format json line %q: %v", line, err)
		}
		if obj["State"] != "running" || obj["Project"] != "fl" || obj["Name"] != "fl-"+obj["Service"].(string)+"-1" {
			t.Errorf("ps json object %v", obj)
		}
		services = append(services, obj["Service"].(string))
	}
	if strings.Join(services, ",") != "a,b" {
		t.Errorf("ps --format json services %v", services)
	}
	// One-off containers show with -a only.
	compose(t, d, dir, nil, "-p", "fl", "run", "-d", "a")
	if n, all := countLines(compose(t, d, dir, nil, "-p", "fl", "ps", "-q")), countLines(compose(t, d, dir, nil, "-p", "fl", "ps", "-a", "-q")); n != 2 || all != 3 {
		t.Errorf("ps -q: %d, ps -a -q: %d; want 2 and 3", n, all)
	}
	if out := composeFail(t, d, dir, nil, "-p", "fl", "ps", "nosuch"); !strings.Contains(out, "no such service: nosuch") {
		t.Errorf("ps nosuch: %s", out)
	}

	// c, started from more.yaml, is an orphan for compose.yaml alone.
	compose(t, d, dir, nil, "-p", "fl", "-f", "compose.yaml", "-f", "more.yaml", "up", "-d")
	if errOut := composeErr(t, d, dir, nil, "-p", "fl", "up", "-d"); !strings.Contains(errOut, "Found orphan containers ([fl-c-1])") {
		t.Errorf("up did not warn about the orphan:\n%s", errOut)
	}
	errOut := composeErr(t, d, dir, nil, "-p", "fl", "down")
	left := byName(projectContainers(t, c, "fl"))
	if len(left) != 1 || left["fl-c-1"].State != "running" {
		t.Errorf("down without --remove-orphans: left %v", left)
	}
	if !strings.Contains(errOut, "fl-c-1") || !strings.Contains(errOut, "Network fl_default  Resource is still in use") {
		t.Errorf("down warnings:\n%s", errOut)
	}
	compose(t, d, dir, nil, "-p", "fl", "down", "--remove-orphans")
	assertGone(t, c, "fl")
}

// TestComposeLogsAndConfigFlags covers logs --tail/--timestamps/
// --no-log-prefix and config --services/--volumes/--networks/--images/
// --profiles/-q.
func TestComposeLogsAndConfigFlags(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "attached")
	t.Cleanup(func() { run(t, d, dir, nil, d.Binary, "compose", "-p", "lg", "down") })
	compose(t, d, dir, nil, "-p", "lg", "up")
	if got := compose(t, d, dir, nil, "-p", "lg", "logs", "--no-log-prefix", "--tail", "1", "count"); got != "count 3\n" {
		t.Errorf("logs --tail 1: %q", got)
	}
	got := compose(t, d, dir, nil, "-p", "lg", "logs", "-t", "count")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "lg-count-1 | 20") || !strings.HasSuffix(lines[2], " count 3") {
		t.Errorf("logs --timestamps: %q", got)
	}
	if got := compose(t, d, dir, nil, "-p", "lg", "logs", "--no-log-prefix", "-n", "2"); strings.Count(got, "\n") != 4 {
		t.Errorf("logs -n 2 of two services: %q", got)
	}
	if out := composeFail(t, d, dir, nil, "-p", "lg", "logs", "nosuch"); !strings.Contains(out, "no such service: nosuch") {
		t.Errorf("logs nosuch: %s", out)
	}
	compose(t, d, dir, nil, "-p", "lg", "down")
	assertGone(t, d.Client(t), "lg")

	rd := caseDir(t, "rundeps")
	for args, want := range map[string]string{
		"config --services": "app\ncache\ndb\nunrelated\n",
		"config --volumes":  "shared\n",
		"config --networks": "default\n",
		"config --images":   "busybox\nbusybox\nbusybox\nbusybox\n",
		"config -q":         "",
	} {
		if got := compose(t, d, rd, nil, strings.Fields(args)...); got != want {
			t.Errorf("%s = %q, want %q", args, got, want)
		}
	}
	if got := compose(t, d, caseDir(t, "recreate"), nil, "config", "--profiles"); got != "debug\n" {
		t.Errorf("config --profiles = %q", got)
	}
}

// TestDockerComposeV1UpDownFlags drives the same up/down flags with
// docker-compose v1: --no-start, --no-recreate and down --remove-orphans.
func TestDockerComposeV1UpDownFlags(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	c := d.Client(t)
	dir := caseDir(t, "recreate")
	v1 := func(env []string, args ...string) string {
		return dc(t, d, dir, env, append([]string{"-p", "v1fl"}, args...)...)
	}
	t.Cleanup(func() { run(t, d, dir, nil, dockerCompose, "-p", "v1fl", "down", "--remove-orphans") })
	v1(nil, "-f", "compose.yaml", "up", "--no-start")
	created := byName(projectContainers(t, c, "v1fl"))
	if len(created) != 2 || created["v1fl_a_1"].State != "created" {
		t.Fatalf("up --no-start: %v", created)
	}
	v1([]string{"B_VALUE=two"}, "-f", "compose.yaml", "up", "-d", "--no-recreate")
	kept := byName(projectContainers(t, c, "v1fl"))
	if kept["v1fl_b_1"].ID != created["v1fl_b_1"].ID || kept["v1fl_b_1"].State != "running" {
		t.Errorf("up --no-recreate: %+v", kept["v1fl_b_1"])
	}
	v1(nil, "-f", "compose.yaml", "-f", "more.yaml", "up", "-d")
	v1(nil, "-f", "compose.yaml", "down", "--remove-orphans")
	assertGone(t, c, "v1fl")
}

// TestDockerComposeV1ForceRecreate: docker-compose v1 recreates a
// container (--force-recreate, or a changed configuration) only when image
// inspect carries ContainerConfig, which Docker sends for API < 1.45; the
// test is skipped while Berth's image inspect lacks it.
func TestDockerComposeV1ForceRecreate(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	if !imageInspectHas(t, d, "1.41", "busybox", "ContainerConfig") {
		t.Skip("GET /v1.41/images/{name}/json lacks ContainerConfig: docker-compose v1 fails to recreate with KeyError 'ContainerConfig'")
	}
	c := d.Client(t)
	dir := caseDir(t, "recreate")
	t.Cleanup(func() { run(t, d, dir, nil, dockerCompose, "-p", "v1fr", "down") })
	dc(t, d, dir, nil, "-p", "v1fr", "-f", "compose.yaml", "up", "-d")
	before := byName(projectContainers(t, c, "v1fr"))
	dc(t, d, dir, nil, "-p", "v1fr", "-f", "compose.yaml", "up", "-d", "--force-recreate")
	for n, ctr := range byName(projectContainers(t, c, "v1fr")) {
		if before[n].ID == ctr.ID || ctr.State != "running" {
			t.Errorf("up --force-recreate kept %s (%s)", n, ctr.State)
		}
	}
	dc(t, d, dir, nil, "-p", "v1fr", "-f", "compose.yaml", "down")
	assertGone(t, c, "v1fr")
}

// imageInspectHas reports whether image inspect at API version has key.
func imageInspectHas(t *testing.T, d *daemon.Daemon, version, image, key string) bool {
	t.Helper()
	hc := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", d.Socket)
		}}}
	resp, err := hc.Get("http://berth/v" + version + "/images/" + image + "/json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var obj map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		t.Fatal(err)
	}
	_, ok := obj[key]
	return ok
}
