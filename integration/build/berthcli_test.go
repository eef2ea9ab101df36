package build

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestBerthBuild drives the builder with `berth build`: -t, -f,
// --build-arg, --target, --label, -q and .dockerignore.
func TestBerthBuild(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"build.Dockerfile": "FROM busybox AS one\nARG V\nRUN echo $V > /v\nCOPY . /ctx/\nFROM one AS two\nRUN false\n",
		".dockerignore":    "ignored.txt\n",
		"kept.txt":         "k\n",
		"ignored.txt":      "i\n",
	})
	berth := daemon.Binary(t)
	out, errOut, code := d.Run(t, "", berth, "build", "-f", dir+"/build.Dockerfile", "-t", "bb:1", "--build-arg", "V=42",
		"--target", "one", "--label", "k=v", dir)
	if code != 0 {
		t.Fatalf("berth build: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Successfully tagged bb:1") {
		t.Errorf("output: %s", out)
	}
	if got := docker(t, d, "run", "--rm", "bb:1", "sh", "-c", "cat /v; ls /ctx"); got != "42\nbuild.Dockerfile\nkept.txt\n" {
		t.Errorf("image content = %q", got)
	}
	if got := docker(t, d, "image", "inspect", "-f", "{{.Config.Labels.k}}", "bb:1"); got != "v\n" {
		t.Errorf("label = %q", got)
	}
	out, _, code = d.Run(t, "", berth, "build", "-q", "-f", dir+"/build.Dockerfile", "--target", "one", "--build-arg", "V=42", dir)
	if code != 0 || !strings.HasPrefix(out, "sha256:") || strings.Contains(out, "Step") {
		t.Errorf("berth build -q: %d %q", code, out)
	}
	// The context as a tar on stdin.
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	df := "FROM busybox\nCMD [\"echo\", \"from-stdin\"]\n"
	_ = tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df))})
	_, _ = tw.Write([]byte(df))
	_ = tw.Close()
	if out, errOut, code := d.Run(t, ctxTar.String(), berth, "build", "-t", "stdin:1", "-"); code != 0 {
		t.Fatalf("berth build -: %d\n%s\n%s", code, out, errOut)
	}
	if got := docker(t, d, "run", "--rm", "stdin:1"); got != "from-stdin\n" {
		t.Errorf("stdin build runs %q", got)
	}
}

// TestBerthBuildSecret: a secret passed with `berth build --secret` is
// readable by RUN --mount=type=secret and absent from the image's
// layers, files and history.
func TestBerthBuildSecret(t *testing.T) {
	d := newDaemon(t)
	const value = "s3cr3t-value-4711"
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /ok\n",
	})
	secret := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(secret, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	berth := daemon.Binary(t)
	out, errOut, code := d.Run(t, "", berth, "build", "--secret", "id=tok,src="+secret, "-t", "sec:1", dir)
	if code != 0 {
		t.Fatalf("berth build: %d\n%s\n%s", code, out, errOut)
	}
	if got := docker(t, d, "run", "--rm", "sec:1", "sh", "-c", "cat /ok; ls -A /run/secrets 2>/dev/null"); strings.TrimSpace(got) != "17" {
		t.Errorf("image files: %q", got)
	}
	if h := docker(t, d, "history", "--no-trunc", "sec:1"); strings.Contains(h, value) {
		t.Errorf("secret in history:\n%s", h)
	}
	archive := filepath.Join(t.TempDir(), "sec.tar")
	docker(t, d, "save", "-o", archive, "sec:1")
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(value)) {
		t.Error("secret found in the saved image")
	}
	// Without the secret the RUN fails (the mount is optional, the file absent).
	if _, _, code := d.Run(t, "", berth, "build", "--no-cache", dir); code == 0 {
		t.Error("build without the secret succeeded")
	}
}
