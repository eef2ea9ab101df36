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
	noStart, noDeps, noColor, noLogPrefix, timestamps, renewAnon                       bool
	abortOnExit, abortOnFailure                                                        bool
	waitTimeout, timeout                                                               int
	scale                                                                              []string
	exitCodeFrom                                                                       string
}

func newUpCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("remove-orphans") {
				o.removeOrphans = envBool("COMPOSE_REMOVE_ORPHANS")
			}
			if !cmd.Flags().Changed("timeout") {
				o.timeout = -1
			}
			if err := o.validate(); err != nil {
				return err
			}
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
	command.StringListVar(fs, &o.scale, "scale", "Scale SERVICE to NUM instances (SERVICE=NUM)")
	fs.BoolVar(&o.noRollback, "no-rollback", false, "Keep what a failed up created (by default it is removed)")
	fs.BoolVar(&o.noStart, "no-start", false, "Don't start the services after creating them")
	fs.BoolVar(&o.noDeps, "no-deps", false, "Don't start linked services")
	fs.BoolVar(&o.noColor, "no-color", false, "Produce monochrome output")
	fs.BoolVar(&o.abortOnExit, "abort-on-container-exit", false, "Stops all containers if any container was stopped. Incompatible with -d")
	fs.BoolVar(&o.abortOnFailure, "abort-on-container-failure", false, "Stops all containers if any container exited with failure. Incompatible with -d")
	fs.StringVar(&o.exitCodeFrom, "exit-code-from", "", "Return the exit code of the selected service container. Implies --abort-on-container-exit")
	fs.BoolVarP(&o.renewAnon, "renew-anon-volumes", "V", false, "Recreate anonymous volumes instead of retrieving data from the previous containers")
	fs.BoolVar(&o.noLogPrefix, "no-log-prefix", false, "Don't print prefix in logs")
	fs.BoolVar(&o.timestamps, "timestamps", false, "Show timestamps")
	fs.IntVarP(&o.timeout, "timeout", "t", 10, "Use this timeout in seconds for container shutdown when attached or when containers are already running")
	return cmd
}

func runUp(ctx context.Context, c *command.CLI, po *projectOptions, o upOptions, services []string) error {
	scale, err := parseScale(o.scale)
	if err != nil {
		return err
	}
	lo := po.loadOptions(services)
	lo.NoDeps = o.noDeps
	p, err := compose.Load(ctx, lo)
	if err != nil {
		return err
	}
	if _, ok := p.Services[o.exitCodeFrom]; o.exitCodeFrom != "" && !ok {
		return command.NotFound("exit-code-from: no such service: %s", o.exitCodeFrom)
	}
	svc, err := service(ctx, c)
	if err != nil {
		return err
	}
	err = svc.Up(ctx, p, compose.UpOptions{
		Build: o.build, NoBuild: o.noBuild, ForceRecreate: o.forceRecreate, NoRecreate: o.noRecreate,
		Scale: scale, Wait: o.wait, RemoveOrphans: o.removeOrphans, NoRollback: o.noRollback, WaitTimeout: time.Duration(o.waitTimeout) * time.Second,
		NoStart: o.noStart, RenewAnon: o.renewAnon,
	})
	if err != nil || o.detach || o.wait || o.noStart {
		return err
	}
	return attach(ctx, c, svc, p, services, o)
}

// attach follows the logs until every container exits or the user
// interrupts, then stops the project's containers, as docker compose up does.
// With --abort-on-container-exit/-failure the first container to exit
// stops the others, and up exits with its code (or --exit-code-from's).
func attach(ctx context.Context, c *command.CLI, svc *compose.Compose, p *types.Project, services []string, o upOptions) error {
	sctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var timeout *int
	if o.timeout >= 0 {
		timeout = &o.timeout
	}
	ao := compose.AttachOptions{Services: services, NoPrefix: o.noLogPrefix, Timestamps: o.timestamps,
		ExitCodeFrom: o.exitCodeFrom, Timeout: timeout}
	switch {
	case o.abortOnFailure:
		ao.Cascade = compose.CascadeFail
	case o.abortOnExit || o.exitCodeFrom != "":
		ao.Cascade = compose.CascadeStop
	}
	code, err := svc.Attach(sctx, p, ao, c.Out)
	if sctx.Err() == nil {
		return exitStatus(code, err)
	}
	fmt.Fprintln(c.Err, "Gracefully stopping...")
	return svc.Stop(context.WithoutCancel(ctx), p, timeout, services...)
}

// validate rejects flag combinations Docker Compose rejects.
func (o upOptions) validate() error {
	cascade := o.abortOnExit || o.abortOnFailure || o.exitCodeFrom != ""
	switch {
	case o.abortOnExit && o.abortOnFailure:
		return command.InvalidArgument("--abort-on-container-failure cannot be combined with --abort-on-container-exit")
	case cascade && (o.detach || o.wait):
		return command.InvalidArgument("--detach and --wait cannot be combined with --abort-on-container-exit, --abort-on-container-failure or --exit-code-from")
	case cascade && o.noStart:
		return command.InvalidArgument("--no-start cannot be combined with --abort-on-container-exit, --abort-on-container-failure or --exit-code-from")
	}
	return nil
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

// envBool reads a boolean environment variable (false when unset or invalid).
func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}
