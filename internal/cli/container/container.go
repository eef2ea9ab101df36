package container

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// Verbs are the top-level container commands (`berth run`, ...) by name.
var Verbs = command.Verbs{
	{Name: "run", Make: newRunCommand}, {Name: "create", Make: newCreateCommand}, {Name: "start", Make: newStartCommand}, {Name: "attach", Make: newAttachCommand},
	{Name: "stop", Make: newStopCommand}, {Name: "restart", Make: newRestartCommand}, {Name: "kill", Make: newKillCommand}, {Name: "wait", Make: newWaitCommand},
	{Name: "rm", Make: newRmCommand}, {Name: "ps", Make: newPsCommand}, {Name: "logs", Make: newLogsCommand}, {Name: "update", Make: newUpdateCommand},
	{Name: "stats", Make: newStatsCommand}, {Name: "exec", Make: newExecCommand}, {Name: "pause", Make: newPauseCommand}, {Name: "unpause", Make: newUnpauseCommand},
	{Name: "rename", Make: newRenameCommand}, {Name: "top", Make: newTopCommand}, {Name: "diff", Make: newDiffCommand}, {Name: "cp", Make: newCpCommand},
	{Name: "port", Make: newPortCommand},
}

// NewContainerCommand returns `berth container` with the same verbs
// (ps is also `ls`/`list`, rm is also `remove`).
func NewContainerCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers", Args: command.NoArgs}
	for _, sub := range Verbs.All(c) {
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
