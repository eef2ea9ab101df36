package runtime

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSealedCopyRuns(t *testing.T) {
	f, err := SealedCopy("/bin/echo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("a sealed copy accepted a write")
	}
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	path, kept, err := KeepRuntimeFd(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(kept)
	n, err := strconv.Atoi(strings.TrimPrefix(path, "/proc/self/fd/"))
	if err != nil || n < RuntimeFd || n != kept {
		t.Fatalf("path %q, descriptor %d", path, kept)
	}
	// Descriptors handed to the child must not replace the copy.
	cmd := exec.Command(path, "sealed")
	cmd.Args[0] = "echo"
	cmd.ExtraFiles = []*os.File{os.Stdin, os.Stdin, os.Stdin}
	out, err := cmd.Output()
	if err != nil || string(out) != "sealed\n" {
		t.Fatalf("run sealed copy: %q %v", out, err)
	}
}

func TestKeepRuntimeFdRefusesUnsealed(t *testing.T) {
	fd, err := unix.Open("/bin/echo", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if path, _, err := KeepRuntimeFd(fd); err == nil {
		t.Fatalf("an unsealed file was kept as %q", path)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
		t.Fatal("the refused descriptor was left open")
	}
}

func TestWantsSealedCopy(t *testing.T) {
	for path, want := range map[string]bool{"/usr/bin/crun": true, "crun": true, "/usr/sbin/runc": false, "/opt/crun-1.9/crun": true,
		"/opt/berth/bin/berth-crun": true, "/opt/berth/bin/berth-daemon": false, "/usr/local/bin/runc-crun-wrapper": false} {
		if got := WantsSealedCopy(path); got != want {
			t.Errorf("%s: %v", path, got)
		}
		if got := IsCrun(path); got != want {
			t.Errorf("IsCrun(%s): %v", path, got)
		}
	}
}

func TestRuntimeLink(t *testing.T) {
	link := t.TempDir() + "/runtimes/crun"
	for range 2 { // and replaced
		if err := RuntimeLink(link); err != nil {
			t.Fatal(err)
		}
	}
	if target, err := os.Readlink(link); err != nil || target != "/proc/self/fd/100" {
		t.Fatalf("link to %q %v", target, err)
	}
}
