package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRmiCommand(c *command.CLI) *cobra.Command {
	opts := client.ImageRemoveOptions{PruneChildren: true}
	var noPrune bool
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.PruneChildren = !noPrune
			return runRmi(cmd.Context(), c, opts, args)
		},
	}
	cmd.Flags().BoolVarP(&opts.Force, "force", "f", false, "Force removal of the image")
	cmd.Flags().BoolVar(&noPrune, "no-prune", false, "Do not delete untagged parents")
	return cmd
}

// runRmi removes each image, printing docker's "Untagged:"/"Deleted:" lines.
func runRmi(ctx context.Context, c *command.CLI, opts client.ImageRemoveOptions, names []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		res, err := api.ImageRemove(ctx, name, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range res.Items {
			if d.Untagged != "" {
				fmt.Fprintf(c.Out, "Untagged: %s\n", d.Untagged)
			}
			if d.Deleted != "" {
				fmt.Fprintf(c.Out, "Deleted: %s\n", d.Deleted)
			}
		}
	}
	return errors.Join(errs...)
}

func newTagCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			_, err = api.ImageTag(cmd.Context(), client.ImageTagOptions{Source: args[0], Target: args[1]})
			return err
		},
	}
}
