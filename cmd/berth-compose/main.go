// Command berth-compose is the `berth compose` plugin: the berth CLI runs
// it for `berth compose …` (it also works on its own). It holds no logic.
package main

import (
	"os"

	"github.com/berth-engine/berth/internal/cli"
	composecmd "github.com/berth-engine/berth/internal/cli/compose"
)

func main() { os.Exit(cli.ExecutePlugin(composecmd.NewComposeCommand)) }
