package compose

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/spf13/cobra"
)

func newPushCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o compose.PushOptions
	var includeDeps bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] [SERVICE...]",
		Short: "Push service images",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := po.load(ctx, args...)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			if !includeDeps {
				o.Services = args
			}
			return svc.Push(ctx, p, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.IgnoreFailures, "ignore-push-failures", false, "Push what it can and ignores images with push failures")
	fs.BoolVar(&includeDeps, "include-deps", false, "Also push images of services declared as dependencies")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "Push without printing progress information")
	return cmd
}
