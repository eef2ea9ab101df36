package compose

import (
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/spf13/cobra"
)

func newDownCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o compose.DownOptions
	var timeout int
	cmd := &cobra.Command{
		Use:   "down [OPTIONS]",
		Short: "Stop and remove containers, networks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			name, p, err := po.projectName(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			o.Timeout = timeoutPtr(cmd, timeout)
			if !cmd.Flags().Changed("remove-orphans") {
				o.RemoveOrphans = envBool("COMPOSE_REMOVE_ORPHANS")
			}
			return svc.Down(ctx, name, p, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.Volumes, "volumes", "v", false, "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers")
	fs.StringVar(&o.RMI, "rmi", "", `Remove images used by services. "local" remove only images that don't have a custom tag ("local"|"all")`)
	fs.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	fs.IntVarP(&timeout, "timeout", "t", 10, "Specify a shutdown timeout in seconds")
	return cmd
}
