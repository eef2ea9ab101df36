package compose

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/container"
	"github.com/berth-engine/berth/internal/cli/image"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/mattn/go-shellwords"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// runOptions are the flags of `berth compose run` beyond compose.RunOptions.
type runOptions struct {
	compose.RunOptions
	entrypoint  string
	envFiles    []string
	noTTY       bool
	tty         bool
	interactive bool
	detach      bool
	quiet       bool
}

func newRunCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARGS...]",
		Short: "Run a one-off command on a service",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			return runRun(cmd.Context(), c, po, o, args)
		},
	}
	cmd.Flags().SetInterspersed(false)
	fs := cmd.Flags()
	fs.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	fs.BoolVar(&o.Remove, "rm", false, "Automatically remove the container when it exits")
	fs.StringVar(&o.Name, "name", "", "Assign a name to the container")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "Override the entrypoint of the image")
	command.StringListVarP(fs, &o.Env, "env", "e", "Set environment variables")
	fs.StringVarP(&o.User, "user", "u", "", "Run as specified username or uid")
	fs.StringVarP(&o.WorkingDir, "workdir", "w", "", "Working directory inside the container")
	fs.BoolVarP(&o.noTTY, "no-TTY", "T", false, "Disable pseudo-TTY allocation (default: auto-detected)")
	fs.BoolVarP(&o.tty, "tty", "t", true, "Allocate a pseudo-TTY")
	_ = fs.MarkHidden("tty")
	fs.BoolVarP(&o.interactive, "interactive", "i", true, "Keep STDIN open even if not attached")
	fs.BoolVar(&o.NoDeps, "no-deps", false, "Don't start linked services")
	fs.BoolVarP(&o.ServicePorts, "service-ports", "P", false, "Run command with all service's ports enabled and mapped to the host")
	command.StringListVarP(fs, &o.Publish, "publish", "p", "Publish a container's port(s) to the host")
	command.StringListVarP(fs, &o.Labels, "label", "l", "Add or override a label")
	command.StringListVarP(fs, &o.Volumes, "volume", "v", "Bind mount a volume")
	command.StringListVar(fs, &o.CapAdd, "cap-add", "Add Linux capabilities")
	command.StringListVar(fs, &o.CapDrop, "cap-drop", "Drop Linux capabilities")
	fs.BoolVar(&o.UseAliases, "use-aliases", false, "Use the service's network useAliases in the network(s) the container connects to")
	command.StringListVar(fs, &o.envFiles, "env-from-file", "Set environment variables from file")
	fs.BoolVar(&o.Build, "build", false, "Build image before starting container")
	fs.StringVar(&o.Pull, "pull", "policy", `Pull image before running ("always"|"missing"|"never"|"policy")`)
	fs.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Don't print anything to STDOUT")
	fs.BoolVar(&o.quiet, "quiet-pull", false, "Pull without printing progress information")
	fs.BoolVar(&o.quiet, "quiet-build", false, "Suppress progress output from the build process")
	return cmd
}

// complete turns the flags that need parsing into compose.RunOptions:
// --entrypoint is split as a shell would (an empty one resets the image's),
// --env-from-file variables come before -e ones, which override them.
func (o *runOptions) complete(cmd *cobra.Command) error {
	if cmd.Flags().Changed("entrypoint") {
		ep, err := shellwords.Parse(o.entrypoint)
		if err != nil {
			return command.InvalidArgument("invalid --entrypoint %q: %v", o.entrypoint, err)
		}
		if len(ep) == 0 {
			ep = []string{""}
		}
		o.Entrypoint = ep
	}
	if len(o.envFiles) == 0 {
		return nil
	}
	vars, err := dotenv.GetEnvFromFile(map[string]string{}, o.envFiles)
	if err != nil {
		return command.InvalidArgument("--env-from-file: %v", err)
	}
	env := make([]string, 0, len(vars)+len(o.Env))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	o.Env = append(env, o.Env...)
	return nil
}

// runRun runs the one-off container: multiplexed streams without a TTY;
// with one (stdin is a terminal and no -T), through `berth start -a`, which
// puts the terminal in raw mode, follows its size and honours the detach
// keys, as `berth run -it` does.
func runRun(ctx context.Context, c *command.CLI, po *projectOptions, o runOptions, args []string) error {
	p, err := po.load(ctx)
	if err != nil {
		return err
	}
	svc, err := runService(ctx, c, o.quiet)
	if err != nil {
		return err
	}
	tty := !o.noTTY && o.tty && !o.detach && isTerminal(c.In)
	if !tty && !o.detach {
		return exitStatus(svc.Run(ctx, p, args[0], args[1:], o.RunOptions, streams(c, o.interactive)))
	}
	o.Tty, o.Stdin = tty, o.interactive
	id, err := svc.CreateRun(ctx, p, args[0], args[1:], o.RunOptions)
	if err != nil {
		return err
	}
	if o.detach {
		return startDetached(ctx, c, id)
	}
	err = startAttached(ctx, c, id, o.interactive)
	if o.Remove {
		if rerr := svc.RemoveOneoff(context.WithoutCancel(ctx), id); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// runService is service, without progress lines when quiet.
func runService(ctx context.Context, c *command.CLI, quiet bool) (*compose.Compose, error) {
	if !quiet {
		return service(ctx, c)
	}
	api, err := c.Client(ctx)
	if err != nil {
		return nil, err
	}
	return compose.New(api, io.Discard, compose.WithRegistryAuth(image.RegistryAuth)), nil
}

func startDetached(ctx context.Context, c *command.CLI, id string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	if _, err := api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(c.Out, id)
	return nil
}

// startAttached runs `berth start -a [-i] id`: its exit status is the
// container's.
func startAttached(ctx context.Context, c *command.CLI, id string, interactive bool) error {
	argv := []string{"-a"}
	if interactive {
		argv = append(argv, "-i")
	}
	cmd := container.Verbs.Build(c, "start")
	cmd.SetArgs(append(argv, id))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.ExecuteContext(ctx)
}
