// Command berth is Berth's single binary: the CLI, the daemon (`berth
// daemon`) and the per-container shim (`berth shim`, internal). It holds no
// logic of its own.
package main

import (
	"os"
	"path/filepath"

	"github.com/berth-engine/berth/internal/cli"
	"github.com/berth-engine/berth/internal/pid1"
	"github.com/berth-engine/berth/internal/runtime/shim"
)

func main() {
	// The shim is dispatched before the CLI is built: it is on the
	// container start path and must start fast and stay small.
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(shim.Main(os.Args[2:]))
	}
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
