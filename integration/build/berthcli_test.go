package build

import (
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
}
