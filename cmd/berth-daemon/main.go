// Command berth-daemon is the engine: `berth daemon` runs it (it sits next
// to the berth binary) with the rest of the command line. The CLI is
// started once per command, so it is linked without the engine's packages
// and their initialisation (a fifth of the CPU of a `berth run -d`); the
// engine is linked here. This binary also serves as the containers'
// docker-init (--init) and as the shim when bin/berth-shim is missing.
package main

import (
	"os"
	"path/filepath"

	daemoncmd "github.com/berth-engine/berth/internal/cli/daemon"
	"github.com/berth-engine/berth/internal/pid1"
	"github.com/berth-engine/berth/internal/runtime/shim"
)

func main() {
	args := os.Args[1:]
	switch {
	case filepath.Base(os.Args[0]) == "docker-init": // first: its arguments are the container's
		os.Exit(pid1.Main(args))
	case len(args) > 0 && args[0] == "shim":
		os.Exit(shim.Main(args[1:]))
	case len(args) > 0 && args[0] == "init":
		os.Exit(pid1.Main(args[1:]))
	case len(args) > 0 && args[0] == "daemon": // invoked like `berth daemon …`
		args = args[1:]
	}
	os.Exit(daemoncmd.Main(args))
}
