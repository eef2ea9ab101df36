package compose

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/berth-engine/berth/internal/testutil/registry"
	"github.com/moby/moby/client"
)

// registryList GETs a registry listing (/v2/_catalog, /v2/<name>/tags/list)
// with alice's credentials and returns its sorted entries.
func registryList(t *testing.T, reg *registry.Registry, path, key string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+reg.Addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var list []string
	if err := json.Unmarshal(body[key], &list); err != nil {
		t.Fatalf("%s: %s: %v", path, key, err)
	}
	sort.Strings(list)
	return list
}

// pushEnv logs in to reg with the berth CLI (into a private DOCKER_CONFIG)
// and returns the environment the push project needs.
func pushEnv(t *testing.T, d *daemon.Daemon, reg *registry.Registry) []string {
	t.Helper()
	env := []string{"REGISTRY=" + reg.Addr, "DOCKER_CONFIG=" + t.TempDir(), "BROKEN_REGISTRY=127.0.0.1:" + strconv.Itoa(freePort(t))}
	if r := run(t, d, t.TempDir(), env, d.Binary, "login", "-u", "alice", "-p", "s3cret", reg.Addr); r.code != 0 {
		t.Fatalf("berth login: %d %s %s", r.code, r.out, r.err)
	}
	return env
}

// TestComposePush builds the push project and pushes it to a registry that
// requires the credentials `berth login` stored: only the named services
// (--include-deps adds their dependencies), build tags too, services
// without a build skipped, failures reported or (--ignore-push-failures)
// tolerated; a second daemon pulls the images back and runs them.
func TestComposePush(t *testing.T) {
	reg := registry.Start(t, registry.Options{Users: map[string]string{"alice": "s3cret"}})
	d := newDaemon(t)
	dir := caseDir(t, "push")
	env := pushEnv(t, d, reg)
	// pc runs berth compose on the project with tags.yaml and returns its
	// output with the progress lines (on stderr, as docker compose prints them).
	pc := func(args ...string) string {
		args = append([]string{"compose", "-f", "compose.yaml", "-f", "tags.yaml", "-p", "push"}, args...)
		r := run(t, d, dir, env, d.Binary, args...)
		if r.code != 0 {
			t.Fatalf("berth %v: exit %d\n%s%s", args, r.code, r.out, r.err)
		}
		return r.out + r.err
	}
	pc("build")
	out := pc("push", "app")
	if got := registryList(t, reg, "/v2/_catalog", "repositories"); !slices.Equal(got, []string{"berth-test/app"}) {
		t.Errorf("after push app, catalog = %v\n%s", got, out)
	}
	if !strings.Contains(out, reg.Addr+"/berth-test/app:1  Pushed") {
		t.Errorf("push output:\n%s", out)
	}
	pc("push", "--include-deps", "app")
	if got := registryList(t, reg, "/v2/_catalog", "repositories"); !slices.Equal(got, []string{"berth-test/app", "berth-test/dep"}) {
		t.Errorf("after push --include-deps app, catalog = %v", got)
	}
	if got := registryList(t, reg, "/v2/berth-test/dep/tags/list", "tags"); !slices.Equal(got, []string{"1", "extra"}) {
		t.Errorf("dep tags = %v", got)
	}
	files := []string{"-f", "compose.yaml", "-p", "push", "--profile", "broken"}
	if out := composeFail(t, d, dir, env, append(files, "push")...); !strings.Contains(out, "broken") {
		t.Errorf("failed push error lacks the service:\n%s", out)
	}
	if r := run(t, d, dir, env, d.Binary, append([]string{"compose"}, append(files, "push", "--ignore-push-failures")...)...); r.code != 0 || !strings.Contains(r.err, "Push failed") {
		t.Errorf("--ignore-push-failures: exit %d\n%s%s", r.code, r.out, r.err)
	}

	// A clean daemon pulls the pushed images and runs them.
	d2 := newDaemon(t)
	compose(t, d2, dir, env, "-p", "push", "pull", "app")
	for ref, want := range map[string]string{"app": "pushed-app", "dep": "pushed-dep"} {
		if _, err := d2.Client(t).ImageInspect(context.Background(), reg.Addr+"/berth-test/"+ref+":1"); err != nil {
			t.Fatalf("pulled image %s: %v", ref, err)
		}
		if got := compose(t, d2, dir, env, "-p", "push", "run", "--rm", "-T", ref, "cat", "/pushed.txt"); !strings.Contains(got, want) {
			t.Errorf("run %s: %q, want %q", ref, got, want)
		}
	}
	compose(t, d2, dir, env, "-p", "push", "down")
	assertGone(t, d2.Client(t), "push")
}

// TestDockerComposeV1Push pushes the same project with Debian's
// docker-compose v1, which reads the credentials from the same file.
func TestDockerComposeV1Push(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	reg := registry.Start(t, registry.Options{Users: map[string]string{"alice": "s3cret"}})
	d := newDaemon(t)
	dir := caseDir(t, "push")
	env := pushEnv(t, d, reg)
	dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1push", "build")
	dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1push", "push")
	if got := registryList(t, reg, "/v2/_catalog", "repositories"); !slices.Equal(got, []string{"berth-test/app", "berth-test/dep"}) {
		t.Errorf("catalog = %v", got)
	}
	c := d.Client(t)
	for _, ref := range []string{"app", "dep"} {
		if _, err := c.ImageRemove(context.Background(), reg.Addr+"/berth-test/"+ref+":1", client.ImageRemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1push", "pull", "app", "dep")
	if got := dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1push", "run", "--rm", "-T", "dep", "sh", "-c", "sleep 1; cat /pushed.txt"); !strings.Contains(got, "pushed-dep") {
		t.Errorf("run dep: %q", got)
	}
	dc(t, d, dir, env, "-f", "compose.yaml", "-p", "v1push", "down", "--rmi", "all")
	assertGone(t, c, "v1push")
}
