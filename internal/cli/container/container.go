package container

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// Commands returns the top-level container commands (`berth run`, ...).
func Commands(c *command.CLI) []*cobra.Command {
	return []*cobra.Command{
		newRunCommand(c), newCreateCommand(c), newStartCommand(c), newAttachCommand(c), newStopCommand(c),
		newRestartCommand(c), newKillCommand(c), newWaitCommand(c), newRmCommand(c),
		newPsCommand(c), newLogsCommand(c),
		newUpdateCommand(c), newStatsCommand(c),
		newExecCommand(c), newPauseCommand(c), newUnpauseCommand(c), newRenameCommand(c),
		newTopCommand(c), newDiffCommand(c), newCpCommand(c), newPortCommand(c),
	}
}

// NewContainerCommand returns `berth container` with the same verbs
// (ps is also `ls`/`list`, rm is also `remove`).
func NewContainerCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers", Args: command.NoArgs}
	for _, sub := range Commands(c) {
		switch sub.Name() {
		case "ps":
			sub.Aliases = []string{"ls", "list"}
		case "rm":
			sub.Aliases = []string{"remove"}
		}
		cmd.AddCommand(sub)
	}
	cmd.AddCommand(newPruneCommand(c)) // `berth container prune` only, as docker
	return cmd
}
