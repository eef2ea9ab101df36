package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-engine/berth/internal/cli/command"
	netapi "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRemoveCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			var errs []error
			for _, n := range args {
				if _, err := api.NetworkRemove(cmd.Context(), n, client.NetworkRemoveOptions{}); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.Out, n)
			}
			return errors.Join(errs...)
		},
	}
}

func newPruneCommand(c *command.CLI) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrune(cmd.Context(), c, filters)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation (berth never prompts)")
	command.StringListVar(cmd.Flags(), &filters, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func runPrune(ctx context.Context, c *command.CLI, filterFlags []string) error {
	filters, err := command.ParseFilters(filterFlags)
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.NetworkPrune(ctx, client.NetworkPruneOptions{Filters: filters})
	if err != nil {
		return err
	}
	if len(res.Report.NetworksDeleted) > 0 {
		fmt.Fprintln(c.Out, "Deleted Networks:")
		for _, n := range res.Report.NetworksDeleted {
			fmt.Fprintln(c.Out, n)
		}
	}
	return nil
}

func newConnectCommand(c *command.CLI) *cobra.Command {
	var aliases []string
	var ip string
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			es := &netapi.EndpointSettings{Aliases: aliases}
			if ip != "" {
				addr, err := parseAddr(ip)
				if err != nil {
					return err
				}
				es.IPAMConfig = &netapi.EndpointIPAMConfig{IPv4Address: addr}
			}
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			_, err = api.NetworkConnect(cmd.Context(), args[0], client.NetworkConnectOptions{Container: args[1], EndpointConfig: es})
			return err
		},
	}
	command.StringListVar(cmd.Flags(), &aliases, "alias", "Add network-scoped alias for the container")
	cmd.Flags().StringVar(&ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	return cmd
}

func newDisconnectCommand(c *command.CLI) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client(cmd.Context())
			if err != nil {
				return err
			}
			_, err = api.NetworkDisconnect(cmd.Context(), args[0], client.NetworkDisconnectOptions{Container: args[1], Force: force})
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}
