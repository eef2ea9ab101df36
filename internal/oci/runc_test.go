package oci

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
)

// TestRuncAcceptsSpec runs busybox under runc with a generated spec and
// checks what the process sees: user, capabilities, masked paths, shm size.
func TestRuncAcceptsSpec(t *testing.T) {
	testutil.RequiresRoot(t)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc not installed")
	}
	dir := t.TempDir()
	rootfs := testutil.BusyboxRootfs(t, dir)
	u, home, err := ResolveUser(rootfs, "berth")
	if err != nil {
		t.Fatal(err)
	}
	hostname := filepath.Join(dir, "hostname")
	if err := os.WriteFile(hostname, []byte("berthtest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := "berth-oci-test-" + filepath.Base(dir)
	s, err := Generate(Options{
		ID: id, Rootfs: rootfs, User: u, Hostname: "berthtest", NetworkMode: NetworkNone,
		Env:          []string{"HOME=" + home},
		HostnamePath: hostname,
		CgroupsPath:  "/" + id, // one level: runc delete removes it
		Args: []string{"sh", "-c", "id; hostname; cat /etc/hostname; grep CapBnd /proc/self/status; " +
			"echo masked=$(wc -c < /proc/interrupts); df -k /dev/shm | tail -1; echo $HOME"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "runc-root")
	t.Cleanup(func() { _ = exec.Command(runc, "--root", root, "delete", "-f", id).Run() })
	out, err := exec.Command(runc, "--root", root, "run", "--bundle", dir, id).CombinedOutput()
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"uid=1000(berth) gid=1000(berth) groups=",
		"10(wheel)",
		"berthtest\nberthtest\n",
		"CapBnd:\t00000000a80425fb",
		"masked=0\n", // /proc/interrupts masked
		"65536",
		"/home/berth",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
