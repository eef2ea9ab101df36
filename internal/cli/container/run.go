package container

import (
	"context"
	"fmt"
	"github.com/moby/moby/client"
	"os"
	"strings"
	"syscall"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

type runOptions struct {
	createOptions
	detach     bool
	sigProxy   bool
	detachKeys string
}

func newRunCommand(c *command.CLI) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runRun(cmd.Context(), cmd, c, &o, args)
		},
	}
	fs := cmd.Flags()
	addCreateFlags(fs, &o.createOptions)
	fs.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	fs.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	fs.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// runRun is docker's run flow: create (pulling if needed); with -d print
// the ID; otherwise attach, wait, start, stream and exit with the
// container's status.
func runRun(ctx context.Context, cmd *cobra.Command, c *command.CLI, o *runOptions, args []string) error {
	attach := attachStreams{}
	if !o.detach {
		attach = attachStreams{stdin: o.interact, stdout: true, stderr: true}
	}
	req, err := o.parse(args, attach, os.LookupEnv)
	if err != nil {
		return command.RunError(cmd, 125, err)
	}
	if !o.detach && o.tty && o.interact && !isTerminal(c.In) {
		return command.RunError(cmd, 1, fmt.Errorf("the input device is not a TTY"))
	}
	id, err := createContainer(ctx, c, &o.createOptions, req)
	if err != nil {
		return command.RunError(cmd, 125, err)
	}
	api, err := c.Client(ctx)
	if err != nil {
		return command.RunError(cmd, 125, err)
	}
	if o.detach {
		if _, err := api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
			return command.RunError(cmd, startExitCode(err), err)
		}
		fmt.Fprintln(c.Out, id)
		return nil
	}
	return foreground{
		id: id, tty: o.tty, stdin: o.interact, sigProxy: o.sigProxy, autoRemove: o.autoRemove, detachKeys: o.detachKeys,
		startErr: func(err error) error { return command.RunError(cmd, startExitCode(err), err) },
	}.run(ctx, c, api)
}

// startExitCode maps a failed start to docker's exit codes: 127 when the
// command was not found, 126 when it could not be invoked, else 125. The
// runtime's error reaches the CLI only as text, so this is the one place
// that inspects the message, exactly as the docker CLI does.
func startExitCode(err error) int {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"),
		strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "system cannot find the file specified"):
		return 127
	case strings.Contains(msg, syscall.EACCES.Error()),
		strings.Contains(msg, syscall.EISDIR.Error()):
		return 126
	}
	return 125
}
