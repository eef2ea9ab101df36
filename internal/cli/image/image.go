package image

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// Commands returns the top-level image commands (`berth images`, ...).
func Commands(c *command.CLI) []*cobra.Command {
	return []*cobra.Command{newImagesCommand(c), newImportCommand(c), newRmiCommand(c), newTagCommand(c),
		newPullCommand(c), newPushCommand(c), newLoginCommand(c), newLogoutCommand(c),
		newSaveCommand(c), newLoadCommand(c), newHistoryCommand(c), newCommitCommand(c), newExportCommand(c),
		newBuildCommand(c)}
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
