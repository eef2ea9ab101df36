package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

func TestShimBinary(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "berth")
	if got := shimBinary(self); got != self {
		t.Fatalf("no berth-shim: got %q, want %q", got, self)
	}
	lean := filepath.Join(dir, "berth-shim")
	if err := os.WriteFile(lean, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := shimBinary(self); got != self {
		t.Fatalf("non-executable berth-shim: got %q, want %q", got, self)
	}
	if err := os.Chmod(lean, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := shimBinary(self); got != lean {
		t.Fatalf("got %q, want %q", got, lean)
	}
}

func TestLookRuntime(t *testing.T) {
	dir, bin := t.TempDir(), t.TempDir()
	self := filepath.Join(dir, "berth-daemon")
	onPath := filepath.Join(bin, "crun")
	if err := os.WriteFile(onPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	installed := "1.8.1-1+deb12u1"
	saved := installedCrun
	installedCrun = func() (string, error) { return installed, nil }
	t.Cleanup(func() { installedCrun = saved })
	look := func(name, want string) {
		t.Helper()
		if got, err := lookRuntime(self, name); err != nil || got != want {
			t.Fatalf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
	look("crun", onPath) // no berth-crun
	ours := filepath.Join(dir, berthCrun)
	if err := os.WriteFile(ours, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	look("crun", onPath) // no stamp: not trusted
	if err := os.WriteFile(ours+".version", []byte(installed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	look("crun", ours)
	// A security update of the crun package: the old build is passed over
	// until it is rebuilt, and reported.
	installed = "1.8.1-1+deb12u2"
	look("crun", onPath)
	if _, stale, ok := currentBerthCrun(self); ok || stale != "1.8.1-1+deb12u1" {
		t.Fatalf("stale build: %q %v", stale, ok)
	}
	// A path is taken as it is, and only crun has a companion.
	look(onPath, onPath)
	if _, err := lookRuntime(self, "runc"); err == nil {
		t.Fatal("runc: found, though it is neither on PATH nor beside the daemon")
	}
}
