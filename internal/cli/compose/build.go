package compose

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/spf13/cobra"
)

func newBuildCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o compose.BuildOptions
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] [SERVICE...]",
		Short: "Build or rebuild services",
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
			o.Services = args
			return svc.Build(ctx, p, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.NoCache, "no-cache", false, "Do not use cache when building the image")
	fs.BoolVar(&o.Pull, "pull", false, "Always attempt to pull a newer version of the image")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "Don't print anything to STDOUT")
	return cmd
}

func newPullCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var ignore, quiet bool
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] [SERVICE...]",
		Short: "Pull service images",
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
			return svc.Pull(ctx, p, ignore)
		},
	}
	cmd.Flags().BoolVar(&ignore, "ignore-pull-failures", false, "Pull what it can and ignores images with pull failures")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Pull without printing progress information")
	return cmd
}
