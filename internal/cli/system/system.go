package system

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// Commands returns the top-level system commands.
func Commands(c *command.CLI) []*cobra.Command {
	return []*cobra.Command{newInspectCommand(c), newVersionCommand(c), newInfoCommand(c), newEventsCommand(c)}
}
