package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksLittle: a shim starts beside every container, so it must not
// link the engine, nor the Docker API types (their image-spec and digest
// packages compile regular expressions at init).
func TestLinksLittle(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(pkg, "github.com/moby/moby/"),
			pkg == "github.com/opencontainers/go-digest",
			pkg == "github.com/berth-engine/berth/internal/daemon",
			pkg == "github.com/berth-engine/berth/internal/container":
			t.Errorf("berth-shim links %s", pkg)
		}
	}
}
