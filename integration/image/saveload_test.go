package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveLoadHistory(t *testing.T) {
	requireTool(t, dockerCLI)
	d := newDaemon(t)
	dir := t.TempDir()
	docker(t, d, "tag", "busybox", "example.com/other:v2")
	busyID := strings.TrimSpace(docker(t, d, "image", "inspect", "-f", "{{.Id}}", "busybox"))
	archive := filepath.Join(dir, "images.tar")
	docker(t, d, "save", "-o", archive, "busybox:latest", "example.com/other:v2")
	docker(t, d, "rmi", "busybox", "example.com/other:v2")
	if out := docker(t, d, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("images left: %s", out)
	}
	out := docker(t, d, "load", "-i", archive)
	for _, want := range []string{"Loaded image: busybox:latest", "Loaded image: example.com/other:v2"} {
		if !strings.Contains(out, want) {
			t.Errorf("load output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.TrimSpace(docker(t, d, "image", "inspect", "-f", "{{.Id}}", "example.com/other:v2")); got != busyID {
		t.Errorf("loaded ID %s, want %s", got, busyID)
	}
	out = docker(t, d, "history", "busybox")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "IMAGE") || !strings.Contains(lines[1], "Imported from -") || !strings.Contains(lines[1], busyID[7:19]) {
		t.Errorf("history:\n%s", out)
	}
	if out = docker(t, d, "run", "--rm", "busybox", "echo", "loaded"); strings.TrimSpace(out) != "loaded" {
		t.Errorf("run loaded image: %q", out)
	}
	// A bad archive: clear error, nothing registered.
	bad := filepath.Join(dir, "bad.tar")
	if err := os.WriteFile(bad, []byte("not an archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := d.Run(t, "", dockerCLI, "load", "-i", bad); code == 0 || errOut == "" {
		t.Errorf("load of garbage: exit %d %s", code, errOut)
	}
}

func TestSkopeoFormats(t *testing.T) {
	requireTool(t, dockerCLI)
	requireTool(t, "skopeo")
	d := newDaemon(t)
	dir := t.TempDir()
	busyLayers := strings.TrimSpace(docker(t, d, "image", "inspect", "-f", "{{.RootFS.Layers}}", "busybox"))
	saved := filepath.Join(dir, "saved.tar")
	docker(t, d, "save", "-o", saved, "busybox")
	skopeo := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("skopeo", append([]string{"--insecure-policy"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("skopeo %v: %v\n%s", args, err, out)
		}
	}
	// Berth's docker-archive → skopeo → OCI archive and docker-archive → Berth.
	ociTar := filepath.Join(dir, "oci.tar")
	skopeo("copy", "docker-archive:"+saved, "oci-archive:"+ociTar+":docker.io/library/fromoci:v1")
	dockerTar := filepath.Join(dir, "skopeo-docker.tar")
	skopeo("copy", "docker-archive:"+saved, "docker-archive:"+dockerTar+":fromskopeo:v1")
	docker(t, d, "rmi", "busybox")
	docker(t, d, "load", "-i", ociTar)
	docker(t, d, "load", "-i", dockerTar)
	// skopeo rewrites the config (OCI media types), so compare the layers.
	for _, ref := range []string{"fromoci:v1", "fromskopeo:v1"} {
		if got := strings.TrimSpace(docker(t, d, "image", "inspect", "-f", "{{.RootFS.Layers}}", ref)); got != busyLayers {
			t.Errorf("%s: layers %s, want %s", ref, got, busyLayers)
		}
		if out := docker(t, d, "run", "--rm", ref, "echo", "ok"); strings.TrimSpace(out) != "ok" {
			t.Errorf("run %s: %q", ref, out)
		}
	}
}
