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
	if got, err := lookRuntime(self, "crun"); err != nil || got != onPath {
		t.Fatalf("no berth-crun: got %q, %v; want %q", got, err, onPath)
	}
	ours := filepath.Join(dir, berthCrun)
	if err := os.WriteFile(ours, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := lookRuntime(self, "crun"); err != nil || got != ours {
		t.Fatalf("got %q, %v; want %q", got, err, ours)
	}
	// A path is taken as it is, and only crun has a companion.
	if got, err := lookRuntime(self, onPath); err != nil || got != onPath {
		t.Fatalf("path: got %q, %v; want %q", got, err, onPath)
	}
	if _, err := lookRuntime(self, "runc"); err == nil {
		t.Fatal("runc: found, though it is neither on PATH nor beside the daemon")
	}
}
