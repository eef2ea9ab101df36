package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
)

// Plugins are CLI commands shipped as binaries of their own, berth-<name>,
// as Docker ships compose: their dependencies (compose-go's JSON schema
// compiles ~2 MB at init) stay out of the berth binary, which is also the
// shim of every container and must start fast and stay small.
var plugins = []struct{ name, short string }{
	{"compose", "Define and run multi-container applications"},
}

// newPluginCommand runs berth-<name> with the rest of the command line. The
// daemon is reached (and auto-started) first; the plugin gets the resolved
// host in BERTH_HOST.
func newPluginCommand(c *command.CLI, name, short string) *cobra.Command {
	return &cobra.Command{
		Use:                name + " [OPTIONS] COMMAND",
		Short:              short,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			bin, err := findPlugin(name)
			if err != nil {
				return err
			}
			if len(args) == 0 || (args[0] != "--help" && args[0] != "-h") {
				if _, err := c.Client(cmd.Context()); err != nil {
					return err
				}
			}
			env := append(os.Environ(), command.HostEnv+"="+c.Host)
			return syscall.Exec(bin, append([]string{"berth-" + name}, args...), env)
		},
	}
}

// findPlugin looks next to the berth binary, then in libexec, then in PATH.
func findPlugin(name string) (string, error) {
	file := "berth-" + name
	var dirs []string
	if self, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(self))
	}
	dirs = append(dirs, "/usr/local/libexec/berth", "/usr/libexec/berth")
	for _, d := range dirs {
		p := filepath.Join(d, file)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(file); err == nil {
		return p, nil
	}
	return "", command.StatusError{StatusCode: 1, Status: fmt.Sprintf("berth: '%s' is not installed: %s was not found next to berth, in /usr/libexec/berth or in PATH", name, file)}
}

// ExecutePlugin runs a plugin's command tree as its own program (see
// cmd/berth-compose) with the CLI's host resolution, auto-start and exit
// code conventions; it returns the exit code.
func ExecutePlugin(build func(*command.CLI) *cobra.Command) int {
	c := command.New()
	c.Host = resolveHost("")
	if c.Host == command.DefaultHost {
		c.AutoStart = autoStart
	}
	root := build(c)
	root.SilenceErrors, root.SilenceUsage = true, true
	root.TraverseChildren = true // project flags come before the subcommand
	root.SetFlagErrorFunc(command.FlagErrorFunc)
	polish(root)
	err := root.Execute()
	_ = c.Close()
	return exitCode(err, c)
}
