package volume

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// NewVolumeCommand returns `berth volume`.
func NewVolumeCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage volumes", Args: command.NoArgs}
	cmd.AddCommand(newCreateCommand(c), newListCommand(c), newInspectCommand(c), newRemoveCommand(c), newPruneCommand(c))
	return cmd
}
