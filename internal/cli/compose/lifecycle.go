package compose

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

func newStartCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start services",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := po.load(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			return svc.Start(ctx, p, args...)
		},
	}
}

func newStopCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] [SERVICE...]",
		Short: "Stop services",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := po.load(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			return svc.Stop(ctx, p, timeoutPtr(cmd, timeout), args...)
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, "Specify a shutdown timeout in seconds")
	return cmd
}

func newRestartCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] [SERVICE...]",
		Short: "Restart service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := po.load(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			return svc.Restart(ctx, p, timeoutPtr(cmd, timeout), args...)
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, "Specify a shutdown timeout in seconds")
	return cmd
}

// timeoutPtr is -t when given, else nil (the container's own timeout).
func timeoutPtr(cmd *cobra.Command, t int) *int {
	if !cmd.Flags().Changed("timeout") {
		return nil
	}
	return &t
}
