package container

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// forEach applies fn to every named container, printing each name that
// succeeded and returning all failures joined (exit status 1).
func forEach(ctx context.Context, c *command.CLI, names []string, fn func(context.Context, command.APIClient, string) error) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := fn(ctx, api, name); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(c.Out, name)
	}
	return errors.Join(errs...)
}

type stopOptions struct {
	signal  string
	timeout int
}

func (o *stopOptions) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&o.signal, "signal", "s", "", "Signal to send to the container")
	fs.IntVarP(&o.timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	fs.IntVar(&o.timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = fs.MarkHidden("time")
}

// timeoutFor returns the timeout only when the user set one, so the daemon
// applies the container's own StopTimeout otherwise.
func (o *stopOptions) timeoutFor(cmd *cobra.Command) *int {
	if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
		t := o.timeout
		return &t
	}
	return nil
}

func newStopCommand(c *command.CLI) *cobra.Command {
	var o stopOptions
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerStopOptions{Signal: o.signal, Timeout: o.timeoutFor(cmd)}
			return forEach(cmd.Context(), c, args, func(ctx context.Context, api command.APIClient, id string) error {
				_, err := api.ContainerStop(ctx, id, opts)
				return err
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newRestartCommand(c *command.CLI) *cobra.Command {
	var o stopOptions
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerRestartOptions{Signal: o.signal, Timeout: o.timeoutFor(cmd)}
			return forEach(cmd.Context(), c, args, func(ctx context.Context, api command.APIClient, id string) error {
				_, err := api.ContainerRestart(ctx, id, opts)
				return err
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newKillCommand(c *command.CLI) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, func(ctx context.Context, api command.APIClient, id string) error {
				_, err := api.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: signal})
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}

func newRmCommand(c *command.CLI) *cobra.Command {
	var opts client.ContainerRemoveOptions
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRm(cmd.Context(), c, opts, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&opts.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	fs.BoolVarP(&opts.RemoveLinks, "link", "l", false, "Remove the specified link")
	fs.BoolVarP(&opts.RemoveVolumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	return cmd
}

func runRm(ctx context.Context, c *command.CLI, opts client.ContainerRemoveOptions, names []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		name = strings.Trim(name, "/")
		if name == "" {
			errs = append(errs, command.InvalidArgument("Container name cannot be empty"))
			continue
		}
		if _, err := api.ContainerRemove(ctx, name, opts); err != nil {
			if !opts.Force || !errdefs.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		fmt.Fprintln(c.Out, name)
	}
	return errors.Join(errs...)
}

func newWaitCommand(c *command.CLI) *cobra.Command {
	var condition string
	cmd := &cobra.Command{
		Use:   "wait [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWait(cmd.Context(), c, container.WaitCondition(condition), args)
		},
	}
	cmd.Flags().StringVar(&condition, "condition", "", `Condition to wait for ("not-running", "next-exit", "removed")`)
	return cmd
}

func runWait(ctx context.Context, c *command.CLI, condition container.WaitCondition, names []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		res := api.ContainerWait(ctx, name, client.ContainerWaitOptions{Condition: condition})
		select {
		case r := <-res.Result:
			fmt.Fprintf(c.Out, "%d\n", r.StatusCode)
		case err := <-res.Error:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
