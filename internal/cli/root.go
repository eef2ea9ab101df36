package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/container"
	"github.com/berth-engine/berth/internal/cli/image"
	networkcmd "github.com/berth-engine/berth/internal/cli/network"
	"github.com/berth-engine/berth/internal/cli/system"
	volumecmd "github.com/berth-engine/berth/internal/cli/volume"
	"github.com/berth-engine/berth/internal/version"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// globalOptions are the flags every command accepts.
type globalOptions struct {
	host     string
	logLevel string
	debug    bool
}

// NewRootCommand returns the whole `berth` command tree.
func NewRootCommand() *cobra.Command {
	return newRoot(command.New(), "")
}

// newRoot builds the tree on c. With a name, the tree holds only that
// top-level command when there is one.
func newRoot(c *command.CLI, name string) *cobra.Command {
	var g globalOptions
	root := &cobra.Command{
		Use:              "berth [OPTIONS] COMMAND [ARG...]",
		Short:            "A self-sufficient runtime for containers",
		SilenceErrors:    true,
		SilenceUsage:     true,
		TraverseChildren: true,
		Args:             rootArgs,
		RunE:             func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			c.Host = resolveHost(g.host)
			if c.Host == command.DefaultHost {
				c.AutoStart = autoStart
			}
			return nil
		},
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	fs := root.PersistentFlags()
	fs.StringVarP(&g.host, "host", "H", "", "Daemon socket to connect to")
	fs.StringVar(&g.logLevel, "log-level", "info", `Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")`)
	fs.BoolVarP(&g.debug, "debug", "D", false, "Enable debug mode")
	fs.Bool("help", false, "Print usage")
	root.SetFlagErrorFunc(command.FlagErrorFunc)
	root.AddCommand(topLevel(c, name)...)
	system.Version = version.Version
	// `berth --version` / `-v`, as `docker --version` prints it.
	root.Version = version.Version
	tmpl := "Berth version {{.Version}}"
	if version.GitCommit != "" {
		tmpl += ", build " + version.GitCommit
	}
	root.SetVersionTemplate(tmpl + "\n")
	root.Flags().BoolP("version", "v", false, "Print version information and quit")
	root.SetOut(c.Out)
	polish(root)
	return root
}

// topLevel builds the top-level command called name, or all of them when
// name is "" or names none (help, unknown commands and their suggestions
// need the whole tree).
func topLevel(c *command.CLI, name string) []*cobra.Command {
	groups := command.Verbs{
		{Name: "container", Make: func(c *command.CLI) *cobra.Command {
			cmd := container.NewContainerCommand(c)
			cmd.AddCommand(image.ContainerCommands(c)...) // commit, export
			return cmd
		}},
		{Name: "image", Make: image.NewImageCommand},
		{Name: "system", Make: system.NewSystemCommand},
		{Name: "daemon", Make: func(*command.CLI) *cobra.Command { return newDaemonCommand() }},
		{Name: "volume", Make: volumecmd.NewVolumeCommand},
		{Name: "network", Make: networkcmd.NewNetworkCommand},
	}
	for _, p := range plugins {
		groups = append(groups, command.Verb{Name: p.name, Make: func(c *command.CLI) *cobra.Command {
			return newPluginCommand(c, p.name, p.short)
		}})
	}
	all := []command.Verbs{container.Verbs, image.Verbs, system.Verbs, groups}
	if name != "" {
		for _, vs := range all {
			if cmd := vs.Build(c, name); cmd != nil {
				return []*cobra.Command{cmd}
			}
		}
	}
	var out []*cobra.Command
	for _, vs := range all {
		out = append(out, vs.All(c)...)
	}
	return out
}

// commandName returns the first word of args that is neither a global flag
// nor a global flag's value: the command to build. It returns "" when
// something else comes first.
func commandName(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-H" || a == "--host" || a == "--log-level":
			i++ // the value
		case a == "-D" || a == "--debug" || strings.HasPrefix(a, "-H") ||
			strings.HasPrefix(a, "--host=") || strings.HasPrefix(a, "--log-level="):
		case strings.HasPrefix(a, "-"):
			return ""
		default:
			return a
		}
	}
	return ""
}

// resolveHost applies -H, then BERTH_HOST, then the default socket.
// DOCKER_HOST is deliberately ignored: it points at Docker.
func resolveHost(flag string) string {
	if flag != "" {
		return flag
	}
	if h := os.Getenv(command.HostEnv); h != "" {
		return h
	}
	return command.DefaultHost
}

// rootArgs rejects unknown commands with docker's wording.
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return command.StatusError{StatusCode: 1, Status: fmt.Sprintf(
		"%s: unknown command: %s %s\n\nRun '%s --help' for more information",
		cmd.Name(), cmd.Name(), args[0], cmd.Name())}
}

// polish gives every command docker's usage line (no "[flags]" suffix).
func polish(cmd *cobra.Command) {
	cmd.DisableFlagsInUseLine = true
	for _, sub := range cmd.Commands() {
		polish(sub)
	}
}

// Execute runs the root command with os.Args and returns the process exit
// code: the container's status for run/start -a, 125 for flag errors and
// failed runs, 1 for other errors.
func Execute() int {
	c := command.New()
	root := newRoot(c, commandName(os.Args[1:]))
	err := root.ExecuteContext(context.Background())
	_ = c.Close()
	return exitCode(err, c)
}

func exitCode(err error, c *command.CLI) int {
	if err == nil {
		return 0
	}
	var se command.StatusError
	if errors.As(err, &se) {
		if se.Status != "" {
			fmt.Fprintln(c.Err, se.Status)
		}
		if se.StatusCode == 0 {
			return 1
		}
		return se.StatusCode
	}
	if client.IsErrConnectionFailed(err) {
		fmt.Fprintf(c.Err, "Cannot connect to the Berth daemon at %s. Is the berth daemon running?\n", c.Host)
		return 1
	}
	fmt.Fprintln(c.Err, err)
	return 1
}
