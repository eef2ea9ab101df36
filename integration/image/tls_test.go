package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestTLSRegistry: a registry serving https with a certificate from a test
// CA. With the CA in --registry-certs-dir/<host:port>/ca.crt, push and
// pull work over verified TLS (even on 127.0.0.1, which is otherwise
// insecure); a registry whose directory holds another CA is refused.
func TestTLSRegistry(t *testing.T) {
	requireTool(t, dockerCLI)
	good := registry.Start(t, registry.Options{TLS: true})
	other := registry.Start(t, registry.Options{TLS: true})
	certs := t.TempDir()
	good.TrustIn(t, certs)
	// other's directory holds good's CA: verification must fail.
	wrong := filepath.Join(certs, other.Addr)
	if err := os.MkdirAll(wrong, 0o755); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(certs, good.Addr, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wrong, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemon.New(t)
	d.Start(t, "--registry-certs-dir", certs)
	d.ImportBusybox(t)

	repo := good.Addr + "/tls/busybox:v1"
	docker(t, d, "tag", "busybox", repo)
	if out := docker(t, d, "push", repo); !strings.Contains(out, "digest: sha256:") {
		t.Errorf("push over TLS:\n%s", out)
	}
	docker(t, d, "rmi", repo)
	docker(t, d, "pull", repo)
	if out := docker(t, d, "run", "--rm", repo, "echo", "tls"); strings.TrimSpace(out) != "tls" {
		t.Errorf("run pulled image: %q", out)
	}

	bad := other.Addr + "/tls/busybox:v1"
	docker(t, d, "tag", "busybox", bad)
	_, errOut, code := d.Run(t, "", dockerCLI, "push", bad)
	if code == 0 || !strings.Contains(errOut, "certificate") {
		t.Errorf("push to a registry with an untrusted certificate: exit %d %s", code, errOut)
	}
}
