package image

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/registry"
)

func TestPushPullWithLogin(t *testing.T) {
	requireTool(t, dockerCLI)
	reg := registry.Start(t, registry.Options{Users: map[string]string{"alice": "s3cret"}})
	d := newDaemon(t)
	repo := reg.Addr + "/team/busybox"

	_, errOut, code := d.Run(t, "wrong\n", dockerCLI, "login", "-u", "alice", "--password-stdin", reg.Addr)
	if code == 0 || !strings.Contains(errOut, "401") {
		t.Errorf("login with a wrong password: exit %d, %s", code, errOut)
	}
	_, errOut, code = d.Run(t, "", dockerCLI, "push", repo+":v1")
	if code == 0 {
		t.Errorf("push of a missing tag succeeded")
	}
	docker(t, d, "tag", "busybox", repo+":v1")
	_, errOut, code = d.Run(t, "", dockerCLI, "push", repo+":v1")
	if code == 0 || !strings.Contains(errOut, "authentication required") {
		t.Errorf("anonymous push: exit %d, %s", code, errOut)
	}
	out, errOut, code := d.Run(t, "s3cret\n", dockerCLI, "login", "-u", "alice", "--password-stdin", reg.Addr)
	if code != 0 || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: exit %d %s %s", code, out, errOut)
	}
	out = docker(t, d, "push", repo+":v1")
	m := regexp.MustCompile(`v1: digest: (sha256:[0-9a-f]{64}) size: \d+`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Pushed") {
		t.Fatalf("push output:\n%s", out)
	}
	dgst := m[1]
	if out = docker(t, d, "push", repo+":v1"); !strings.Contains(out, "Layer already exists") {
		t.Errorf("second push:\n%s", out)
	}
	docker(t, d, "rmi", repo+":v1", "busybox")
	out = docker(t, d, "pull", repo+":v1")
	for _, want := range []string{"Pull complete", "Digest: " + dgst, "Status: Downloaded newer image for " + repo + ":v1"} {
		if !strings.Contains(out, want) {
			t.Errorf("pull output lacks %q:\n%s", want, out)
		}
	}
	if out = docker(t, d, "pull", repo+":v1"); !strings.Contains(out, "Image is up to date") {
		t.Errorf("second pull:\n%s", out)
	}
	if out = docker(t, d, "image", "inspect", "-f", "{{.RepoDigests}}", repo+":v1"); !strings.Contains(out, repo+"@"+dgst) {
		t.Errorf("RepoDigests: %s", out)
	}
	docker(t, d, "rmi", "-f", repo+":v1")
	if out = docker(t, d, "pull", repo+"@"+dgst); !strings.Contains(out, "Digest: "+dgst) {
		t.Errorf("pull by digest:\n%s", out)
	}
	if out = docker(t, d, "run", "--rm", repo+"@"+dgst, "echo", "pulled"); strings.TrimSpace(out) != "pulled" {
		t.Errorf("run pulled image: %q", out)
	}
	_, errOut, code = d.Run(t, "", dockerCLI, "pull", repo+":nosuch")
	if code == 0 || !strings.Contains(errOut, "manifest unknown") {
		t.Errorf("unknown tag: exit %d, %s", code, errOut)
	}
	if out = docker(t, d, "logout", reg.Addr); !strings.Contains(out, "Removing login credentials") {
		t.Errorf("logout: %s", out)
	}
	_, errOut, code = d.Run(t, "", dockerCLI, "pull", repo+":v1")
	if code == 0 || !strings.Contains(errOut, "pull access denied") {
		t.Errorf("pull after logout: exit %d, %s", code, errOut)
	}
}

func TestBerthCLIPullPush(t *testing.T) {
	reg := registry.Start(t, registry.Options{})
	d := newDaemon(t)
	ref := reg.Addr + "/berth/cli:1"
	run := func(args ...string) string {
		out, errOut, code := d.Run(t, "", d.Binary, args...)
		if code != 0 {
			t.Fatalf("berth %v: %d %s %s", args, code, out, errOut)
		}
		return out
	}
	run("tag", "busybox", ref)
	if out := run("push", ref); !strings.Contains(out, "1: digest: sha256:") {
		t.Errorf("berth push: %s", out)
	}
	run("rmi", ref, "busybox")
	if out := run("pull", ref); !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Errorf("berth pull: %s", out)
	}
	if out := run("history", ref); !strings.Contains(out, "IMAGE") || !strings.Contains(out, "Imported from -") {
		t.Errorf("berth history: %s", out)
	}
}

func TestPullRegistryDown(t *testing.T) {
	requireTool(t, dockerCLI)
	d := newDaemon(t)
	port := registry.FreePort(t)
	start := time.Now()
	_, errOut, code := d.Run(t, "", dockerCLI, "pull", fmt.Sprintf("127.0.0.1:%d/nothing/here:v1", port))
	if code == 0 || !strings.Contains(errOut, "connection refused") {
		t.Errorf("pull from a closed port: exit %d, %s", code, errOut)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %v", took)
	}
}
