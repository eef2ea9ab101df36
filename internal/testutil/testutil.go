// Package testutil holds helpers shared by Berth's tests: root checks and
// test fixtures built from the host (a busybox rootfs from Debian's
// busybox-static). Only _test.go files and test programs import it.
package testutil

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RequiresRoot skips t unless the test runs as root.
func RequiresRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
}

// BusyboxPath returns the static busybox binary, skipping t when it is absent.
func BusyboxPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if isStatic(p) {
			return p
		}
	}
	t.Skip("busybox-static not installed")
	return ""
}

func isStatic(p string) bool {
	if _, err := os.Stat(p); err != nil {
		return false
	}
	out, err := exec.Command("file", "-L", p).Output()
	if err != nil { // no file(1): trust Debian's busybox-static location
		return true
	}
	return strings.Contains(string(out), "statically linked") || strings.Contains(string(out), "static-pie")
}

// busyboxApplets are the commands linked in the test image.
var busyboxApplets = []string{
	"sh", "echo", "cat", "true", "false", "ls", "sleep", "id", "env", "pwd",
	"hostname", "ps", "kill", "mount", "grep", "wc", "head", "tail", "touch",
	"mkdir", "rm", "stat", "ip", "ping", "nslookup", "wget", "date", "seq",
	"yes", "dd", "whoami", "test", "printf", "top", "uname", "chmod", "ln",
	"readlink", "nc", "httpd", "find", "tr", "sed", "awk", "cp", "mv", "df",
	"vi", "tee", "od", "stty", "tty", "timeout", "unshare", "dmesg", "sysctl",
}

// BusyboxTar returns an uncompressed rootfs tarball: /bin/busybox with its
// applets as symlinks, /etc/passwd and /etc/group with root, nobody and a
// "berth" user (uid 1000), and empty /tmp, /proc, /sys, /dev, /etc, /root.
func BusyboxTar(t testing.TB) []byte {
	t.Helper()
	bin, err := os.ReadFile(BusyboxPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteBusyboxTar(&buf, bin); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteBusyboxTar writes the busybox rootfs tarball described at BusyboxTar
// using the given busybox binary. Used by tests and by the demo tooling.
func WriteBusyboxTar(w io.Writer, busybox []byte) error {
	tw := tar.NewWriter(w)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin", "etc", "dev", "proc", "sys", "root", "home", "home/berth", "var", "usr", "usr/bin"} {
		if err := dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := dir("tmp", 0o1777); err != nil {
		return err
	}
	if err := file("bin/busybox", 0o755, busybox); err != nil {
		return err
	}
	for _, a := range busyboxApplets {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777}); err != nil {
			return err
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\nberth:x:1000:1000:berth:/home/berth:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	group := "root:x:0:\nberth:x:1000:\nwheel:x:10:berth\nnogroup:x:65534:\n"
	if err := file("etc/passwd", 0o644, []byte(passwd)); err != nil {
		return err
	}
	if err := file("etc/group", 0o644, []byte(group)); err != nil {
		return err
	}
	return tw.Close()
}

// BusyboxRootfs unpacks the busybox fixture into dir/rootfs and returns it.
func BusyboxRootfs(t testing.TB, dir string) string {
	t.Helper()
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tar", "-x", "-C", root)
	cmd.Stdin = bytes.NewReader(BusyboxTar(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("untar busybox: %v: %s", err, out)
	}
	return root
}

// WriteFiles writes files (relative path → content) under dir, making the
// directories they need.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
