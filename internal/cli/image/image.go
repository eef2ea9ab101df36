package image

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// Verbs are the top-level image commands (`berth images`, ...) by name.
var Verbs = command.Verbs{
	{Name: "images", Make: newImagesCommand}, {Name: "import", Make: newImportCommand}, {Name: "rmi", Make: newRmiCommand}, {Name: "tag", Make: newTagCommand},
	{Name: "pull", Make: newPullCommand}, {Name: "push", Make: newPushCommand}, {Name: "login", Make: newLoginCommand}, {Name: "logout", Make: newLogoutCommand},
	{Name: "save", Make: newSaveCommand}, {Name: "load", Make: newLoadCommand}, {Name: "history", Make: newHistoryCommand}, {Name: "commit", Make: newCommitCommand},
	{Name: "export", Make: newExportCommand}, {Name: "build", Make: newBuildCommand},
}

// NewImageCommand returns `berth image` with ls, import, rm and tag.
func NewImageCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage images", Args: command.NoArgs}
	ls := newImagesCommand(c)
	ls.Use, ls.Aliases = "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list"}
	rm := newRmiCommand(c)
	rm.Use, rm.Aliases = "rm [OPTIONS] IMAGE [IMAGE...]", []string{"remove"}
	cmd.AddCommand(ls, rm, newImportCommand(c), newTagCommand(c), newPullCommand(c), newPushCommand(c),
		newSaveCommand(c), newLoadCommand(c), newHistoryCommand(c), newPruneCommand(c))
	return cmd
}
