package compose

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
)

type upOptions struct {
	detach, build, noBuild, wait, forceRecreate, noRecreate, removeOrphans, noRollback bool
	waitTimeout                                                                        int
	scale                                                                              []string
}

func newUpCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), c, po, o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.detach, "detach", "d", false, "Detached mode: Run containers in the background")
	fs.BoolVar(&o.build, "build", false, "Build images before starting containers")
	fs.BoolVar(&o.noBuild, "no-build", false, "Don't build an image, even if it's policy")
	fs.BoolVar(&o.wait, "wait", false, "Wait for services to be running|healthy. Implies detached mode")
	fs.IntVar(&o.waitTimeout, "wait-timeout", 0, "Maximum duration in seconds to wait for the project to be running|healthy")
	fs.BoolVar(&o.forceRecreate, "force-recreate", false, "Recreate containers even if their configuration and image haven't changed")
	fs.BoolVar(&o.noRecreate, "no-recreate", false, "If containers already exist, don't recreate them")
	fs.BoolVar(&o.removeOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	fs.StringArrayVar(&o.scale, "scale", nil, "Scale SERVICE to NUM instances (SERVICE=NUM)")
	fs.BoolVar(&o.noRollback, "no-rollback", false, "Keep what a failed up created (by default it is removed)")
	return cmd
}

func runUp(ctx context.Context, c *command.CLI, po *projectOptions, o upOptions, services []string) error {
	scale, err := parseScale(o.scale)
	if err != nil {
		return err
	}
	p, err := po.load(ctx, services...)
	if err != nil {
		return err
	}
	svc, err := service(ctx, c)
	if err != nil {
		return err
	}
	err = svc.Up(ctx, p, compose.UpOptions{
		Build: o.build, NoBuild: o.noBuild, ForceRecreate: o.forceRecreate, NoRecreate: o.noRecreate,
		Scale: scale, Wait: o.wait, RemoveOrphans: o.removeOrphans, NoRollback: o.noRollback, WaitTimeout: time.Duration(o.waitTimeout) * time.Second,
	})
	if err != nil || o.detach || o.wait {
		return err
	}
	return attach(ctx, c, svc, p, services)
}

// attach follows the logs until every container exits or the user
// interrupts, then stops the project's containers, as docker compose up does.
func attach(ctx context.Context, c *command.CLI, svc *compose.Compose, p *types.Project, services []string) error {
	sctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := svc.Logs(sctx, p.Name, compose.LogsOptions{Services: services, Follow: true}, c.Out)
	if sctx.Err() == nil {
		return err
	}
	fmt.Fprintln(c.Err, "Gracefully stopping...")
	return svc.Stop(context.WithoutCancel(ctx), p, nil, services...)
}

func parseScale(list []string) (map[string]int, error) {
	out := map[string]int{}
	for _, s := range list {
		name, num, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			return nil, command.InvalidArgument("invalid --scale %q: want SERVICE=NUM", s)
		}
		out[name] = n
	}
	return out, nil
}
