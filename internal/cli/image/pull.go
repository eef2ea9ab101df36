package image

import (
	"context"
	"fmt"
	"io"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

type pullOptions struct {
	platform string
	quiet    bool
}

func newPullCommand(c *command.CLI) *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), c, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "Suppress verbose output")
	return cmd
}

func runPull(ctx context.Context, c *command.CLI, o pullOptions, ref string) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return command.InvalidArgument("invalid reference format: %v", err)
	}
	named = reference.TagNameOnly(named)
	auth, err := encodedAuth(named.String())
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	opts := client.ImagePullOptions{RegistryAuth: auth}
	if o.platform != "" {
		opts.Platforms = []ocispec.Platform{platformOf(o.platform)}
	}
	rc, err := api.ImagePull(ctx, reference.FamiliarString(named), opts)
	if err != nil {
		return err
	}
	defer rc.Close()
	out := c.Out
	if o.quiet {
		out = io.Discard
	}
	if err := command.DisplayStream(rc, out); err != nil {
		return err
	}
	if o.quiet {
		fmt.Fprintln(c.Out, reference.FamiliarString(named))
	} else {
		fmt.Fprintln(c.Out, named.String())
	}
	return nil
}
