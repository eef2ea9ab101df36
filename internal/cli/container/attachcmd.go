package container

import (
	"context"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type attachOptions struct {
	noStdin    bool
	sigProxy   bool
	detachKeys string
}

func newAttachCommand(c *command.CLI) *cobra.Command {
	var o attachOptions
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd.Context(), c, o, args[0])
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.noStdin, "no-stdin", false, "Do not attach STDIN")
	fs.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	fs.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// runAttach attaches to a running container until it exits (its exit code
// becomes ours) or the user types the detach keys (exit 0, container runs).
func runAttach(ctx context.Context, c *command.CLI, o attachOptions, name string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctr := res.Container
	switch {
	case ctr.State == nil || !ctr.State.Running:
		return command.InvalidArgument("You cannot attach to a stopped container, start it first")
	case ctr.State.Paused:
		return command.InvalidArgument("You cannot attach to a paused container, unpause it first")
	}
	f := foreground{
		id: ctr.ID, attachOnly: true, sigProxy: o.sigProxy, detachKeys: o.detachKeys,
		startErr: func(err error) error { return err },
	}
	if ctr.Config != nil {
		f.tty = ctr.Config.Tty
		f.stdin = !o.noStdin && ctr.Config.OpenStdin
	}
	return f.run(ctx, c, api)
}
