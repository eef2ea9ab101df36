package image

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCommit: changes, deletions (whiteouts), config from the container,
// --change, author and message, pausing a running container, history.
func TestCommit(t *testing.T) {
	requireTool(t, dockerCLI)
	d := newDaemon(t)
	name := "commit-" + strings.ToLower(t.Name())
	docker(t, d, "run", "--name", name, "-e", "FOO=bar", "busybox", "sh", "-c",
		"echo hello > /greeting && rm /bin/ls && mkdir -p /data/sub && echo x > /data/sub/f")
	id := strings.TrimSpace(docker(t, d, "commit", "-a", "Jane <jane@example.com>", "-m", "my commit",
		"-c", "CMD [\"cat\", \"/greeting\"]", "-c", "LABEL stage=one", name, "committed:v1"))
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		t.Fatalf("commit printed %q", id)
	}
	if got := strings.TrimSpace(docker(t, d, "image", "inspect", "-f", "{{.Id}} {{.Author}} {{.Comment}} {{.Config.Cmd}} {{.Config.Labels}} {{len .RootFS.Layers}}", "committed:v1")); got != id+" Jane <jane@example.com> my commit [cat /greeting] map[stage:one] 2" {
		t.Errorf("inspect: %s", got)
	}
	if parent, base := docker(t, d, "image", "inspect", "-f", "{{.Parent}}", "committed:v1"), docker(t, d, "image", "inspect", "-f", "{{.Id}}", "busybox"); parent != base {
		t.Errorf("Parent %q, want busybox's ID %q", parent, base)
	}
	if got := strings.TrimSpace(docker(t, d, "image", "inspect", "-f", "{{json .Config.Env}}", "committed:v1")); !strings.Contains(got, "FOO=bar") {
		t.Errorf("env not kept: %s", got)
	}
	if out := strings.TrimSpace(docker(t, d, "run", "--rm", "committed:v1")); out != "hello" {
		t.Errorf("run committed CMD: %q", out)
	}
	out, _, code := d.Run(t, "", dockerCLI, "run", "--rm", "committed:v1", "sh", "-c", "test -e /bin/ls && echo present; cat /data/sub/f")
	if code != 0 || strings.TrimSpace(out) != "x" {
		t.Errorf("deletion or new dir not committed: exit %d %q", code, out)
	}
	hist := docker(t, d, "history", "committed:v1")
	if lines := strings.Split(strings.TrimSpace(hist), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "my commit") {
		t.Errorf("history:\n%s", hist)
	}
	// The runtime's mount points are not part of the layer.
	if names := layerNames(t, d, "committed:v1"); slices.ContainsFunc(names, func(n string) bool {
		return n == "proc/" || n == "sys/" || n == "etc/hosts" || n == "etc/resolv.conf" || n == "etc/hostname"
	}) {
		t.Errorf("runtime stubs in the layer: %v", names)
	}

	// A running container is paused while committed and keeps running.
	run := name + "-run"
	docker(t, d, "run", "-d", "--name", run, "busybox", "sh", "-c", "echo live > /live; sleep 300")
	t.Cleanup(func() { d.Run(t, "", dockerCLI, "rm", "-f", run) })
	waitFor(t, func() bool {
		o, _, c := d.Run(t, "", dockerCLI, "exec", run, "cat", "/live")
		return c == 0 && strings.TrimSpace(o) == "live"
	})
	docker(t, d, "commit", run, "committed:live")
	if st := strings.TrimSpace(docker(t, d, "inspect", "-f", "{{.State.Status}}", run)); st != "running" {
		t.Errorf("container after commit: %s", st)
	}
	if out := strings.TrimSpace(docker(t, d, "run", "--rm", "committed:live", "cat", "/live")); out != "live" {
		t.Errorf("running commit: %q", out)
	}
	// Errors: unknown container, bad reference.
	if _, errOut, code := d.Run(t, "", dockerCLI, "commit", "nosuchcontainer"); code == 0 || !strings.Contains(errOut, "No such container") {
		t.Errorf("commit of unknown container: exit %d %s", code, errOut)
	}
	if _, _, code := d.Run(t, "", dockerCLI, "commit", name, "Bad:Ref:x"); code == 0 {
		t.Errorf("commit with a bad reference succeeded")
	}
}

// layerNames lists the entries of ref's top layer, read back through save.
func layerNames(t *testing.T, d interface {
	Run(testing.TB, string, string, ...string) (string, string, int)
}, ref string) []string {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "img.tar")
	if _, errOut, code := d.Run(t, "", dockerCLI, "save", "-o", archive, ref); code != 0 {
		t.Fatalf("save: %s", errOut)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	layers := map[string][]string{}
	var order []string
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hdr.Name, "blobs/sha256/") {
			continue
		}
		inner := tar.NewReader(tr)
		var names []string
		for {
			h, err := inner.Next()
			if err != nil {
				break
			}
			names = append(names, h.Name)
		}
		if len(names) > 0 {
			layers[hdr.Name] = names
			order = append(order, hdr.Name)
		}
	}
	// The committed layer is the smaller one.
	var best []string
	for _, k := range order {
		if best == nil || len(layers[k]) < len(best) {
			best = layers[k]
		}
	}
	return best
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
