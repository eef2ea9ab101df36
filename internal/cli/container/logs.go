package container

import (
	"context"
	"io"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newLogsCommand(c *command.CLI) *cobra.Command {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), c, args[0], opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.Details, "details", false, "Show extra details provided to logs")
	fs.BoolVarP(&opts.Follow, "follow", "f", false, "Follow log output")
	fs.StringVar(&opts.Since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	fs.StringVar(&opts.Until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	fs.StringVarP(&opts.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	fs.BoolVarP(&opts.Timestamps, "timestamps", "t", false, "Show timestamps")
	return cmd
}

// runLogs streams the container's logs, demultiplexed unless it has a TTY.
func runLogs(ctx context.Context, c *command.CLI, name string, opts client.ContainerLogsOptions) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	inspect, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	rc, err := api.ContainerLogs(ctx, inspect.Container.ID, opts)
	if err != nil {
		return err
	}
	defer rc.Close()
	if inspect.Container.Config != nil && inspect.Container.Config.Tty {
		_, err = io.Copy(c.Out, rc)
		return err
	}
	_, err = stdcopy.StdCopy(c.Out, c.Err, rc)
	return err
}
