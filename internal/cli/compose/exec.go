package compose

import (
	"context"
	"io"
	"os"

	"github.com/berth-engine/berth/internal/cli/container"
	"github.com/containerd/console"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/spf13/cobra"
)

func newExecCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o compose.ExecOptions
	var noTTY, interactive bool
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARGS...]",
		Short: "Execute a command in a running container",
		Args:  command.RequiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := po.projectName(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			if !noTTY && !o.Detach && interactive && isTerminal(c.In) {
				return execTTY(ctx, c, svc, name, args, o)
			}
			return exitStatus(svc.Exec(ctx, name, args[0], args[1:], o, streams(c, interactive)))
		},
	}
	cmd.Flags().SetInterspersed(false)
	fs := cmd.Flags()
	fs.BoolVarP(&o.Detach, "detach", "d", false, "Detached mode: Run command in the background")
	fs.StringVarP(&o.User, "user", "u", "", "Run the command as this user")
	fs.StringVarP(&o.WorkingDir, "workdir", "w", "", "Path to workdir directory for this command")
	command.StringListVarP(fs, &o.Env, "env", "e", "Set environment variables")
	fs.IntVar(&o.Index, "index", 0, "Index of the container if service has multiple replicas")
	fs.BoolVar(&o.Privileged, "privileged", false, "Give extended privileges to the process")
	fs.BoolVarP(&noTTY, "no-TTY", "T", false, "Disable pseudo-TTY allocation. By default a TTY is allocated when stdin is a terminal")
	fs.BoolVarP(&interactive, "interactive", "i", true, "Keep STDIN open even if not attached")
	return cmd
}

// execTTY runs the command with a TTY through `berth exec -it`, as
// docker-compose v1 runs `docker exec`: raw terminal, resize, exit code.
func execTTY(ctx context.Context, c *command.CLI, svc *compose.Compose, project string, args []string, o compose.ExecOptions) error {
	id, err := svc.ContainerID(ctx, project, args[0], o.Index)
	if err != nil {
		return err
	}
	argv := []string{"-it"}
	if o.User != "" {
		argv = append(argv, "-u", o.User)
	}
	if o.WorkingDir != "" {
		argv = append(argv, "-w", o.WorkingDir)
	}
	if o.Privileged {
		argv = append(argv, "--privileged")
	}
	for _, e := range o.Env {
		argv = append(argv, "-e", e)
	}
	cmd := container.Verbs.Build(c, "exec")
	cmd.SetArgs(append(append(argv, id), args[1:]...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.ExecuteContext(ctx)
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := console.ConsoleFromFile(f)
	return err == nil
}

// streams are the CLI's streams for exec and run without a TTY; stdin only
// when interactive and it is not a terminal (a terminal gets a TTY unless
// -T is given).
func streams(c *command.CLI, interactive bool) compose.Streams {
	st := compose.Streams{Stdout: c.Out, Stderr: c.Err}
	if interactive && c.In != nil {
		if fi, err := c.In.Stat(); err == nil && fi.Mode()&os.ModeCharDevice == 0 {
			st.Stdin = io.Reader(c.In)
		}
	}
	return st
}
