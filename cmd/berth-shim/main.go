// Command berth-shim is the per-container monitor on its own: the same code
// as `berth shim`, linked without the daemon, CLI, builder and registry
// packages. One of these lives beside every running container, so its size
// is paid per container: it starts in about a millisecond less than the full
// binary and keeps about half its private memory. The daemon runs it when it
// sits next to the berth binary and falls back to `berth shim` otherwise.
package main

import (
	"os"

	"github.com/berth-engine/berth/internal/runtime/shim"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "shim" { // invoked like `berth shim …`
		args = args[1:]
	}
	os.Exit(shim.Main(args))
}
