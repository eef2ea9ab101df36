package container

import (
	"context"
	"errors"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type updateOptions struct {
	res     resourceOptions
	memory  string
	restart string
}

func newUpdateCommand(c *command.CLI) *cobra.Command {
	var o updateOptions
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := o.options(cmd.Flags())
			if err != nil {
				return err
			}
			return forEach(cmd.Context(), c, args, func(ctx context.Context, api command.APIClient, id string) error {
				res, err := api.ContainerUpdate(ctx, id, opts)
				for _, w := range res.Warnings {
					c.Err.Write([]byte("WARNING: " + w + "\n"))
				}
				return err
			})
		},
	}
	fs := cmd.Flags()
	o.res.fs = fs
	fs.Uint16Var(&o.res.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	fs.Int64Var(&o.res.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&o.res.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.Int64VarP(&o.res.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.StringVar(&o.res.cpus, "cpus", "", "Number of CPUs")
	fs.StringVar(&o.res.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&o.res.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.StringVarP(&o.memory, "memory", "m", "", "Memory limit")
	fs.StringVar(&o.res.memoryReservation, "memory-reservation", "", "Memory soft limit")
	fs.StringVar(&o.res.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	fs.Int64Var(&o.res.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&o.restart, "restart", "", "Restart policy to apply when a container exits")
	return cmd
}

// options builds the update request; like docker it needs at least one flag.
func (o *updateOptions) options(fs *pflag.FlagSet) (client.ContainerUpdateOptions, error) {
	if fs.NFlag() == 0 {
		return client.ContainerUpdateOptions{}, command.InvalidArgument("you must provide one or more flags when using this command")
	}
	var r container.Resources
	if o.memory != "" {
		m, err := units.RAMInBytes(o.memory)
		if err != nil {
			return client.ContainerUpdateOptions{}, flagError(o.memory, "memory", err)
		}
		r.Memory = m
	}
	if err := o.res.applyResources(&r, true); err != nil {
		return client.ContainerUpdateOptions{}, err
	}
	opts := client.ContainerUpdateOptions{Resources: &r}
	if fs.Changed("restart") {
		p, err := (&policyOptions{restart: o.restart}).restartPolicy(false)
		if err != nil {
			return opts, err
		}
		if p.Name == "" {
			return opts, errors.New("invalid restart policy: no policy provided")
		}
		opts.RestartPolicy = &p
	}
	return opts, nil
}
