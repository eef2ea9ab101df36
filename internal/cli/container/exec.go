package container

import (
	"context"
	"errors"
	"os"
	"os/signal"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/console"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

type execOptions struct {
	detach, interactive, tty, privileged bool
	detachKeys, user, workdir            string
	env                                  createOptions // env and envFiles only
}

func newExecCommand(c *command.CLI) *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  command.RequiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), c, o, args[0], args[1:])
		},
	}
	fs := cmd.Flags()
	fs.SetInterspersed(false)
	fs.BoolVarP(&o.detach, "detach", "d", false, "Detached mode: run command in the background")
	fs.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	command.StringListVarP(fs, &o.env.env, "env", "e", "Set environment variables")
	command.StringListVar(fs, &o.env.envFiles, "env-file", "Read in a file of environment variables")
	fs.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to the command")
	fs.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.StringVarP(&o.user, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	fs.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	return cmd
}

// runExec creates the exec, then either starts it detached or attaches to
// it (raw terminal with -it, size kept in sync) and exits with its code.
func runExec(ctx context.Context, c *command.CLI, o execOptions, ref string, cmdArgs []string) error {
	env, err := o.env.environment(os.LookupEnv)
	if err != nil {
		return err
	}
	if o.tty && o.interactive && !o.detach && !isTerminal(c.In) {
		return command.StatusError{StatusCode: 1, Status: "the input device is not a TTY"}
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	created, err := api.ExecCreate(ctx, ref, client.ExecCreateOptions{
		User: o.user, Privileged: o.privileged, TTY: o.tty, ConsoleSize: consoleSize(c, o.tty),
		AttachStdin: o.interactive && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach,
		DetachKeys: o.detachKeys, Env: env, WorkingDir: o.workdir, Cmd: cmdArgs,
	})
	if err != nil {
		return err
	}
	if o.detach {
		_, err := api.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true, TTY: o.tty})
		return err
	}
	return attachExec(ctx, c, api, o, created.ID)
}

func attachExec(ctx context.Context, c *command.CLI, api command.APIClient, o execOptions, id string) error {
	resp, err := api.ExecAttach(ctx, id, client.ExecAttachOptions{TTY: o.tty, ConsoleSize: consoleSize(c, o.tty)})
	if err != nil {
		return err
	}
	defer resp.Close()
	f := foreground{id: id, tty: o.tty, stdin: o.interactive, detachKeys: o.detachKeys}
	restore, err := f.setRaw(c)
	if err != nil {
		return err
	}
	defer restore()
	if o.tty {
		defer watchTTYSize(ctx, c, func(h, w uint) error {
			_, err := api.ExecResize(ctx, id, client.ExecResizeOptions{Height: h, Width: w})
			return err
		})()
	}
	if err := f.copyStreams(ctx, c, resp.HijackedResponse); err != nil {
		if errors.Is(err, errDetached) {
			return nil // the exec'd process keeps running
		}
		return err
	}
	restore()
	info, err := api.ExecInspect(ctx, id, client.ExecInspectOptions{})
	if err != nil {
		return err
	}
	if info.ExitCode != 0 {
		return command.StatusError{StatusCode: info.ExitCode}
	}
	return nil
}

// consoleSize is the local terminal's size, for a pty created at the right
// size; zero without a tty or a terminal.
func consoleSize(c *command.CLI, tty bool) client.ConsoleSize {
	out, ok := c.Out.(*os.File)
	if !tty || !ok {
		return client.ConsoleSize{}
	}
	con, err := console.ConsoleFromFile(out)
	if err != nil {
		return client.ConsoleSize{}
	}
	ws, err := con.Size()
	if err != nil {
		return client.ConsoleSize{}
	}
	return client.ConsoleSize{Height: uint(ws.Height), Width: uint(ws.Width)}
}

// watchTTYSize calls resize with the local terminal's size on every
// SIGWINCH until the returned stop function is called.
func watchTTYSize(ctx context.Context, c *command.CLI, resize func(h, w uint) error) func() {
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for {
			select {
			case <-winch:
				if sz := consoleSize(c, true); sz.Height > 0 && sz.Width > 0 {
					_ = resize(sz.Height, sz.Width)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		cancel()
	}
}
