// Command berth is Berth's single binary: the CLI, the daemon (`berth
// daemon`) and the per-container shim (`berth shim`, internal). It holds no
// logic of its own.
package main

import (
	"os"

	"github.com/berth-engine/berth/internal/cli"
	"github.com/berth-engine/berth/internal/runtime/shim"
)

func main() {
	// The shim is dispatched before the CLI is built: it is on the
	// container start path and must start fast and stay small.
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(shim.Main(os.Args[2:]))
	}
	os.Exit(cli.Execute())
}
