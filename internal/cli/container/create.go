package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
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
	res, err := createDirect(ctx, c, o.name, req)
	if errors.Is(err, errResend) {
		res, err = api.ContainerCreate(ctx, createOptionsFor(o.name, req))
	}
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

// errResend asks createContainer to send the create request through the
// API client.
var errResend = errors.New("resend through the API client")

// createDirect sends the create request with a body that
// command.MarshalSet encoded, which costs the CLI a fraction of what the
// API client's encoding/json does (see there); the request is otherwise
// the one ContainerCreate sends. It returns errResend when nothing was sent
// (see command.ErrNotSent) and when the daemon refused the container: a
// refused create has changed nothing, so the API client sends it once more
// and turns the answer into its typed error (a missing image, which is then
// pulled; a name in use…), exactly as when it sent it first.
func createDirect(ctx context.Context, c *command.CLI, name string, req createRequest) (client.ContainerCreateResult, error) {
	hc := req.hostConfig
	if hc != nil {
		// As ContainerCreate does: canonical capability names.
		norm := *hc
		norm.CapAdd, norm.CapDrop = normalizeCaps(hc.CapAdd), normalizeCaps(hc.CapDrop)
		hc = &norm
	}
	body, err := command.MarshalSet(container.CreateRequest{Config: req.config, HostConfig: hc, NetworkingConfig: req.netConfig})
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	query := url.Values{}
	if p := req.platform; p != nil && p.OS != "" {
		query.Set("platform", path.Join(p.OS, p.Architecture, p.Variant))
	}
	if name != "" {
		query.Set("name", name)
	}
	resp, err := c.PostJSON(ctx, "/containers/create", query, body)
	if errors.Is(err, command.ErrNotSent) {
		return client.ContainerCreateResult{}, errResend
	}
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	defer func() {
		// Read to the end, so that the connection serves the start next.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return client.ContainerCreateResult{}, errResend
	}
	var created container.CreateResponse
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		return client.ContainerCreateResult{}, err
	}
	return client.ContainerCreateResult{ID: created.ID, Warnings: created.Warnings}, nil
}

// normalizeCaps upper-cases capability names, adds the CAP_ prefix (but to
// ALL), sorts them and drops repeats.
func normalizeCaps(caps []string) []string {
	if caps == nil {
		return nil
	}
	out := make([]string, len(caps))
	for i, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out[i] = c
	}
	slices.Sort(out)
	return slices.Compact(out)
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
