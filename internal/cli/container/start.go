package container

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type startOptions struct {
	attach      bool
	interactive bool
	detachKeys  string
}

func newStartCommand(c *command.CLI) *cobra.Command {
	var o startOptions
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStart(cmd.Context(), c, o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	fs.BoolVarP(&o.interactive, "interactive", "i", false, "Attach container's STDIN")
	fs.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func runStart(ctx context.Context, c *command.CLI, o startOptions, names []string) error {
	if !o.attach && !o.interactive {
		return startAll(ctx, c, names)
	}
	if len(names) > 1 {
		return command.InvalidArgument("you cannot start and attach multiple containers at once")
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	inspect, err := api.ContainerInspect(ctx, names[0], client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctr := inspect.Container
	f := foreground{id: ctr.ID, sigProxy: true, detachKeys: o.detachKeys, startErr: func(err error) error { return err }}
	if ctr.Config != nil {
		f.tty = ctr.Config.Tty
		f.stdin = o.interactive && ctr.Config.OpenStdin
	}
	if ctr.HostConfig != nil {
		f.autoRemove = ctr.HostConfig.AutoRemove
	}
	return f.run(ctx, c, api)
}

// startAll starts containers without attaching, printing each name; the
// failures are reported together at the end like docker does.
func startAll(ctx context.Context, c *command.CLI, names []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var failed []string
	for _, name := range names {
		if _, err := api.ContainerStart(ctx, name, client.ContainerStartOptions{}); err != nil {
			errs = append(errs, err)
			failed = append(failed, name)
			continue
		}
		fmt.Fprintln(c.Out, name)
	}
	if len(failed) > 0 {
		errs = append(errs, fmt.Errorf("Error: failed to start containers: %s", strings.Join(failed, ", "))) //nolint:staticcheck // docker's text
	}
	return errors.Join(errs...)
}
