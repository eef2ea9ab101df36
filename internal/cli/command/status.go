package command

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// StatusError makes the process exit with StatusCode after printing Status
// (when not empty) to stderr, like the docker CLI's cli.StatusError.
type StatusError struct {
	Status     string
	StatusCode int
	Cause      error
}

func (e StatusError) Error() string {
	if e.Status != "" {
		return e.Status
	}
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return fmt.Sprintf("exit status %d", e.StatusCode)
}

// Unwrap returns the underlying error, if any.
func (e StatusError) Unwrap() error { return e.Cause }

// NoArgs rejects any positional argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return argsError(cmd, fmt.Sprintf("%q accepts no arguments", cmd.CommandPath()))
}

// RequiresMinArgs requires at least min positional arguments.
func RequiresMinArgs(minArgs int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= minArgs {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("'%s' requires at least %d %s", cmd.CommandPath(), minArgs, plural("argument", minArgs)))
	}
}

// RequiresRangeArgs requires between minArgs and maxArgs positional arguments.
func RequiresRangeArgs(minArgs, maxArgs int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= minArgs && len(args) <= maxArgs {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("'%s' requires at least %d and at most %d %s", cmd.CommandPath(), minArgs, maxArgs, plural("argument", maxArgs)))
	}
}

// ExactArgs requires exactly n positional arguments.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("'%s' requires %d %s", cmd.CommandPath(), n, plural("argument", n)))
	}
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// argsError formats an argument error the way docker does:
//
//	berth: 'berth rm' requires at least 1 argument
//
//	Usage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]
//
//	See 'berth rm --help' for more information
func argsError(cmd *cobra.Command, msg string) error {
	return StatusError{
		StatusCode: 1,
		Status: fmt.Sprintf("%s: %s\n\nUsage:  %s\n\nSee '%s --help' for more information",
			cmd.Root().Name(), msg, cmd.UseLine(), cmd.CommandPath()),
	}
}

// FlagErrorFunc formats flag errors like docker and exits with 125.
func FlagErrorFunc(cmd *cobra.Command, err error) error {
	usage := ""
	if cmd.HasSubCommands() || cmd.Runnable() {
		usage = "\n\nUsage:  " + cmd.UseLine()
	}
	return StatusError{
		StatusCode: 125,
		Cause:      err,
		Status:     fmt.Sprintf("%s%s\n\nRun '%s --help' for more information", err, usage, cmd.CommandPath()),
	}
}

// RunError wraps err, born while running cmd, the way docker reports errors of
// `run` and `create`: "berth: <err>\n\nRun 'berth run --help' for more information".
func RunError(cmd *cobra.Command, code int, err error) error {
	msg := strings.TrimSuffix(err.Error(), "\n")
	return StatusError{
		StatusCode: code,
		Cause:      err,
		Status:     fmt.Sprintf("%s: %s\n\nRun '%s --help' for more information", cmd.Root().Name(), msg, cmd.CommandPath()),
	}
}
