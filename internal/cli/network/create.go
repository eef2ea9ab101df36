package network

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	netapi "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type createOptions struct {
	driver                   string
	subnet, gateway, ipRange string
	internal                 bool
	labels, opts             []string
}

func newCreateCommand(c *command.CLI) *cobra.Command {
	var o createOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  command.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runCreate(cmd.Context(), c, args[0], o) },
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.driver, "driver", "d", "bridge", "Driver to manage the Network")
	fs.StringVar(&o.subnet, "subnet", "", "Subnet in CIDR format")
	fs.StringVar(&o.gateway, "gateway", "", "IPv4 Gateway for the subnet")
	fs.StringVar(&o.ipRange, "ip-range", "", "Allocate container ip from a sub-range")
	fs.BoolVar(&o.internal, "internal", false, "Restrict external access to the network")
	command.StringListVar(fs, &o.labels, "label", "Set metadata on a network")
	command.StringListVarP(fs, &o.opts, "opt", "o", "Set driver specific options")
	return cmd
}

func runCreate(ctx context.Context, c *command.CLI, name string, o createOptions) error {
	ipam, err := o.ipam()
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: o.driver, IPAM: ipam, Internal: o.internal, Labels: keyValues(o.labels), Options: keyValues(o.opts),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Out, res.ID)
	return nil
}

func (o createOptions) ipam() (*netapi.IPAM, error) {
	if o.subnet == "" {
		if o.gateway != "" || o.ipRange != "" {
			return nil, command.InvalidArgument("--gateway and --ip-range need --subnet")
		}
		return nil, nil
	}
	var cfg netapi.IPAMConfig
	var err error
	if cfg.Subnet, err = netip.ParsePrefix(o.subnet); err != nil {
		return nil, command.InvalidArgument("invalid subnet %s", o.subnet)
	}
	if o.gateway != "" {
		if cfg.Gateway, err = netip.ParseAddr(o.gateway); err != nil {
			return nil, command.InvalidArgument("invalid gateway %s", o.gateway)
		}
	}
	if o.ipRange != "" {
		if cfg.IPRange, err = netip.ParsePrefix(o.ipRange); err != nil {
			return nil, command.InvalidArgument("invalid ip-range %s", o.ipRange)
		}
	}
	return &netapi.IPAM{Driver: "default", Config: []netapi.IPAMConfig{cfg}}, nil
}

func keyValues(in []string) map[string]string {
	out := map[string]string{}
	for _, kv := range in {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, command.InvalidArgument("invalid IPv4 address: %s", s)
	}
	return a, nil
}
