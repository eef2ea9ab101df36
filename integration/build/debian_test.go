package build

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestBuildDebianAptServe: a Debian image made with debootstrap
// (--variant=minbase bookworm, from Debian's mirror) and imported, then a
// Dockerfile that apt-get installs a package inside the build container
// (which reaches the mirror through the default bridge's NAT) and serves a
// page with it; the page is fetched through a port published on 127.0.0.1.
func TestBuildDebianAptServe(t *testing.T) {
	if testing.Short() {
		t.Skip("debootstrap and apt-get take minutes")
	}
	requireDocker(t)
	if _, err := exec.LookPath("debootstrap"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("debootstrap is not installed (make deps installs it)")
		}
		t.Skip("debootstrap not installed")
	}
	if _, err := net.LookupHost("deb.debian.org"); err != nil {
		t.Skipf("Debian's mirror does not resolve here: %v", err)
	}
	tarball := debianTarball(t)
	d := newDaemon(t)
	docker(t, d, "import", tarball, "debian:bookworm")

	ctx := t.TempDir()
	dockerfile := `FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends busybox && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /srv/www && echo "served by a Debian image built on Berth" >/srv/www/index.html
EXPOSE 8080
CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/srv/www"]
`
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	out := docker(t, d, "build", "-t", "debweb", ctx)
	if !strings.Contains(out, "Successfully tagged debweb:latest") {
		t.Fatalf("build output:\n%s", out)
	}
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("build containers left: %q", ps)
	}
	docker(t, d, "run", "-d", "--name", "web", "-p", "127.0.0.1::8080", "debweb")
	t.Cleanup(func() { d.Run(t, "", dockerCLI, "rm", "-f", "web") })
	addr := strings.TrimSpace(docker(t, d, "port", "web", "8080"))
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if body = httpGet("http://" + addr + "/"); body != "" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if body != "served by a Debian image built on Berth\n" {
		t.Fatalf("GET http://%s/: %q\n%s", addr, body, docker(t, d, "logs", "web"))
	}
}

// debianTarball runs debootstrap into a temp dir and returns a tarball of
// the root filesystem (what `docker import` takes).
func debianTarball(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	// Runs before TempDir's removal: debootstrap mounts proc and sys in
	// the target while it installs; a failure may leave them there.
	t.Cleanup(func() { unmountBelow(t, root) })
	cmd := exec.Command("debootstrap", "--variant=minbase", "bookworm", root, "http://deb.debian.org/debian")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("debootstrap: %v\n%s", err, tail(string(out), 3000))
	}
	unmountBelow(t, root)
	tarball := filepath.Join(dir, "bookworm.tar")
	if out, err := exec.Command("tar", "-C", root, "--numeric-owner", "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return tarball
}

// unmountBelow detaches every mount at or below dir, deepest first.
func unmountBelow(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			points = append(points, fields[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	for _, p := range points {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", p, err)
		}
	}
}

func httpGet(url string) string {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}
