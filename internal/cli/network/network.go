package network

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// NewNetworkCommand returns `berth network`.
func NewNetworkCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Manage networks", Args: command.NoArgs}
	cmd.AddCommand(newCreateCommand(c), newListCommand(c), newInspectCommand(c), newRemoveCommand(c),
		newPruneCommand(c), newConnectCommand(c), newDisconnectCommand(c))
	return cmd
}
