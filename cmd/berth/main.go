// Command berth is Berth's CLI. `berth daemon` runs the engine's own
// binary, berth-daemon, which sits next to it (cmd/berth-daemon); the shim
// is bin/berth-shim. It holds no logic of its own.
package main

import (
	"os"
	"path/filepath"

	"github.com/berth-engine/berth/internal/cli"
	"github.com/berth-engine/berth/internal/pid1"
)

func main() {
	// --init: the binary is mounted as /sbin/docker-init (`docker-init --
	// cmd…`, as Docker runs it); `berth init -- cmd…` is the same mode.
	if filepath.Base(os.Args[0]) == "docker-init" || len(os.Args) > 1 && os.Args[1] == "init" {
		args := os.Args[1:]
		if len(args) > 0 && args[0] == "init" && filepath.Base(os.Args[0]) != "docker-init" {
			args = args[1:]
		}
		os.Exit(pid1.Main(args))
	}
	os.Exit(cli.Execute())
}
