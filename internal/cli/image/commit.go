package image

import (
	"context"
	"fmt"
	"io"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ContainerCommands returns commit and export, which docker lists under
// both the top level and `docker container`.
func ContainerCommands(c *command.CLI) []*cobra.Command {
	return []*cobra.Command{newCommitCommand(c), newExportCommand(c)}
}

type commitOptions struct {
	author, message string
	changes         []string
	pause           bool
}

func newCommitCommand(c *command.CLI) *cobra.Command {
	var o commitOptions
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			return runCommit(cmd.Context(), c, o, args[0], ref)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	fs.StringVarP(&o.message, "message", "m", "", "Commit message")
	command.StringListVarP(fs, &o.changes, "change", "c", "Apply Dockerfile instruction to the created image")
	fs.BoolVarP(&o.pause, "pause", "p", true, "Pause container during commit")
	return cmd
}

func runCommit(ctx context.Context, c *command.CLI, o commitOptions, container, ref string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ContainerCommit(ctx, container, client.ContainerCommitOptions{
		Reference: ref, Comment: o.message, Author: o.author, Changes: o.changes, NoPause: !o.pause,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Out, res.ID)
	return nil
}

func newExportCommand(c *command.CLI) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd.Context(), c, output, args[0])
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

func runExport(ctx context.Context, c *command.CLI, output, container string) error {
	if output == "" && isTerminal(c.Out) {
		return command.InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	rc, err := api.ContainerExport(ctx, container, client.ContainerExportOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	if output == "" {
		_, err = io.Copy(c.Out, rc)
		return err
	}
	return writeFileAtomic(output, rc)
}
