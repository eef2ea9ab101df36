package container

import (
	"context"
	"fmt"
	"os"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

func newCreateCommand(c *command.CLI) *cobra.Command {
	var o createOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runCreate(cmd.Context(), cmd, c, &o, args)
		},
	}
	addCreateFlags(cmd.Flags(), &o)
	return cmd
}

func runCreate(ctx context.Context, cmd *cobra.Command, c *command.CLI, o *createOptions, args []string) error {
	req, err := o.parse(args, attachStreams{}, os.LookupEnv)
	if err != nil {
		return command.RunError(cmd, 125, err)
	}
	id, err := createContainer(ctx, c, o, req)
	if err != nil {
		return command.RunError(cmd, 125, err)
	}
	fmt.Fprintln(c.Out, id)
	return nil
}

// createContainer creates the container, pulling its image first with
// --pull=always, or when the daemon does not have it and --pull=missing.
// It prints the daemon's warnings and returns the container ID.
func createContainer(ctx context.Context, c *command.CLI, o *createOptions, req createRequest) (string, error) {
	api, err := c.Client(ctx)
	if err != nil {
		return "", err
	}
	if o.pull == pullAlways {
		if err := pullImage(ctx, c, api, req.config.Image, req.platform); err != nil {
			return "", err
		}
	}
	res, err := api.ContainerCreate(ctx, createOptionsFor(o.name, req))
	if err != nil && errdefs.IsNotFound(err) && o.pull == pullMissing {
		ref, perr := reference.ParseNormalizedNamed(req.config.Image)
		if perr != nil {
			return "", err
		}
		fmt.Fprintf(c.Err, "Unable to find image '%s' locally\n", reference.FamiliarString(reference.TagNameOnly(ref)))
		if err := pullImage(ctx, c, api, req.config.Image, req.platform); err != nil {
			return "", err
		}
		res, err = api.ContainerCreate(ctx, createOptionsFor(o.name, req))
	}
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(c.Err, "WARNING: %s\n", w)
	}
	return res.ID, nil
}

func createOptionsFor(name string, req createRequest) client.ContainerCreateOptions {
	return client.ContainerCreateOptions{
		Config:           req.config,
		HostConfig:       req.hostConfig,
		NetworkingConfig: req.netConfig,
		Platform:         req.platform,
		Name:             name,
	}
}

// pullImage pulls ref, showing progress on stderr as docker run does.
func pullImage(ctx context.Context, c *command.CLI, api command.APIClient, ref string, platform *ocispec.Platform) error {
	opts := client.ImagePullOptions{}
	if platform != nil {
		opts.Platforms = []ocispec.Platform{*platform}
	}
	resp, err := api.ImagePull(ctx, ref, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	return command.DisplayStream(resp, c.Err)
}
