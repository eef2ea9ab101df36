package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoEngine: the CLI starts once per command, so it must not link
// (and initialise) the engine's packages; `berth daemon` runs berth-daemon.
func TestLinksNoEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/berth-engine/berth/internal/"
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/klauspost/compress/zstd" { // its tables are built at init
			t.Errorf("berth links %s (internal/archive/decompress belongs to the engine)", pkg)
		}
		name, ok := strings.CutPrefix(pkg, mod)
		if !ok {
			continue
		}
		switch name {
		case "daemon", "server", "container", "image", "build", "registry", "network", "network/bridge", "runtime", "runtime/shim", "snapshot", "metadata":
			t.Errorf("berth links %s", pkg)
		}
	}
}
