package image

import (
	"context"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPushCommand(c *command.CLI) *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPush(cmd.Context(), c, args[0], all, quiet)
		},
	}
	cmd.Flags().BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	return cmd
}

func runPush(ctx context.Context, c *command.CLI, ref string, all, quiet bool) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return command.InvalidArgument("invalid reference format: %v", err)
	}
	if all {
		if _, tagged := named.(reference.Tagged); tagged {
			return command.InvalidArgument("tag can't be used with --all-tags/-a")
		}
	} else {
		named = reference.TagNameOnly(named)
	}
	auth, err := encodedAuth(named.String())
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	rc, err := api.ImagePush(ctx, reference.FamiliarString(named), client.ImagePushOptions{RegistryAuth: auth, All: all})
	if err != nil {
		return err
	}
	defer rc.Close()
	out := c.Out
	if quiet {
		out = discard{}
	}
	if err := command.DisplayStream(rc, out); err != nil {
		return err
	}
	if quiet {
		_, err = c.Out.Write([]byte(reference.FamiliarString(named) + "\n"))
	}
	return err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
