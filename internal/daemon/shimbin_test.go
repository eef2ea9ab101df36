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
