package container

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPauseCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, func(ctx context.Context, api command.APIClient, id string) error {
				_, err := api.ContainerPause(ctx, id, client.ContainerPauseOptions{})
				return err
			})
		},
	}
}

func newUnpauseCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, func(ctx context.Context, api command.APIClient, id string) error {
				_, err := api.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
				return err
			})
		},
	}
}

func newRenameCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			oldName, newName := strings.TrimSpace(args[0]), strings.TrimSpace(args[1])
			if oldName == "" || newName == "" {
				return command.InvalidArgument("Error: Neither old nor new names may be empty")
			}
			if _, err := api.ContainerRename(cmd.Context(), oldName, client.ContainerRenameOptions{NewName: newName}); err != nil {
				return fmt.Errorf("Error: failed to rename container named %s: %w", oldName, err)
			}
			return nil
		},
	}
}

func newTopCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			top, err := api.ContainerTop(cmd.Context(), args[0], client.ContainerTopOptions{Arguments: args[1:]})
			if err != nil {
				return err
			}
			return printTop(c.Out, top.Titles, top.Processes)
		},
	}
	cmd.Flags().SetInterspersed(false) // ps options follow the container
	return cmd
}

func printTop(out io.Writer, titles []string, procs [][]string) error {
	w := tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)
	fmt.Fprintln(w, strings.Join(titles, "\t"))
	for _, p := range procs {
		fmt.Fprintln(w, strings.Join(p, "\t"))
	}
	return w.Flush()
}

func newDiffCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			res, err := api.ContainerDiff(cmd.Context(), args[0], client.ContainerDiffOptions{})
			if err != nil {
				return err
			}
			for _, ch := range res.Changes {
				fmt.Fprintf(c.Out, "%s %s\n", changeLetter(uint8(ch.Kind)), ch.Path)
			}
			return nil
		},
	}
}

func changeLetter(kind uint8) string {
	switch kind {
	case 0:
		return "C"
	case 1:
		return "A"
	case 2:
		return "D"
	}
	return "?"
}

func newPruneCommand(c *command.CLI) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force && !confirm(c, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?") {
				return nil
			}
			f, err := command.ParseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			res, err := api.ContainerPrune(cmd.Context(), client.ContainerPruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.ContainersDeleted) > 0 {
				fmt.Fprintln(c.Out, "Deleted Containers:")
				for _, id := range res.Report.ContainersDeleted {
					fmt.Fprintln(c.Out, id)
				}
				fmt.Fprintln(c.Out)
			}
			fmt.Fprintf(c.Out, "Total reclaimed space: %s\n", units.HumanSize(float64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	command.StringListVar(cmd.Flags(), &filters, "filter", "Provide filter values (e.g. \"until=<timestamp>\")")
	return cmd
}

// confirm asks a yes/no question on the terminal; anything but y/yes is no.
func confirm(c *command.CLI, question string) bool {
	fmt.Fprintf(c.Out, "%s [y/N] ", question)
	if c.In == nil {
		return false
	}
	line, _ := bufio.NewReader(c.In).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
