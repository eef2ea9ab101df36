package container

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPortCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPort(cmd.Context(), c, args[0], args[1:])
		},
	}
}

func runPort(ctx context.Context, c *command.CLI, ref string, filter []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ContainerInspect(ctx, ref, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	var ports network.PortMap
	if ns := res.Container.NetworkSettings; ns != nil {
		ports = ns.Ports
	}
	if len(filter) == 1 {
		p, err := network.ParsePort(filter[0])
		if err != nil {
			return command.InvalidArgument("invalid port %q", filter[0])
		}
		bs := ports[p]
		if len(bs) == 0 {
			return command.NotFound("no public port '%s' published for %s", p, ref)
		}
		for _, b := range bs {
			fmt.Fprintln(c.Out, net.JoinHostPort(b.HostIP.String(), b.HostPort))
		}
		return nil
	}
	keys := make([]network.Port, 0, len(ports))
	for p := range ports {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, func(a, b network.Port) int {
		return cmp.Or(cmp.Compare(a.Num(), b.Num()), cmp.Compare(a.Proto(), b.Proto()))
	})
	for _, p := range keys {
		for _, b := range ports[p] {
			fmt.Fprintf(c.Out, "%s -> %s\n", p, net.JoinHostPort(b.HostIP.String(), b.HostPort))
		}
	}
	return nil
}
