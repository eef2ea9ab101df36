package compose

import (
	"os"
	"os/signal"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/spf13/cobra"
)

func newLogsCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o compose.LogsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "View output from containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			name, p, err := po.projectName(ctx)
			if err != nil {
				return err
			}
			if _, err := psServices(p, args, true); err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			o.Services = args
			return svc.Logs(ctx, name, o, c.Out)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.Follow, "follow", "f", false, "Follow log output")
	fs.StringVarP(&o.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs for each container")
	fs.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Show timestamps")
	fs.BoolVar(&o.NoPrefix, "no-log-prefix", false, "Don't print prefix in logs")
	fs.StringVar(&o.Since, "since", "", "Show logs since timestamp or relative")
	fs.StringVar(&o.Until, "until", "", "Show logs before a timestamp or relative")
	fs.Bool("no-color", false, "Produce monochrome output")
	fs.IntVar(&o.Index, "index", 0, "index of the container if service has multiple replicas")
	return cmd
}
