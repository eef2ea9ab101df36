package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func execute(t *testing.T, argv ...string) (int, string) {
	t.Helper()
	errOut := &bytes.Buffer{}
	c := command.New()
	c.Out, c.Err = &bytes.Buffer{}, errOut
	root := newRoot(c, commandName(argv))
	root.SetArgs(argv)
	return exitCode(root.Execute(), c), errOut.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		argv   []string
		code   int
		stderr string
	}{
		{[]string{"run", "--bogus", "x"}, 125, "unknown flag: --bogus\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n"},
		{[]string{"run"}, 1, "berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'berth run --help' for more information\n"},
		{[]string{"bogus"}, 1, "berth: unknown command: berth bogus\n\nRun 'berth --help' for more information\n"},
		{[]string{"tag", "a"}, 1, "berth: 'berth tag' requires 2 arguments\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nSee 'berth tag --help' for more information\n"},
		{[]string{"-H", "unix:///nonexistent/berth.sock", "ps"}, 1, "Cannot connect to the Berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?\n"},
	}
	for _, tt := range tests {
		code, stderr := execute(t, tt.argv...)
		if code != tt.code || stderr != tt.stderr {
			t.Errorf("%q: exit %d stderr %q; want %d %q", tt.argv, code, stderr, tt.code, tt.stderr)
		}
	}
}

func TestResolveHost(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
	t.Setenv(command.HostEnv, "")
	if got := resolveHost(""); got != command.DefaultHost {
		t.Errorf("default: %q", got)
	}
	t.Setenv(command.HostEnv, "unix:///tmp/b.sock")
	if got := resolveHost(""); got != "unix:///tmp/b.sock" {
		t.Errorf("env: %q", got)
	}
	if got := resolveHost("tcp://127.0.0.1:2375"); got != "tcp://127.0.0.1:2375" {
		t.Errorf("flag: %q", got)
	}
}

func TestCommandName(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"run", "-d", "busybox"}, "run"},
		{[]string{"-H", "unix:///x.sock", "ps", "-a"}, "ps"},
		{[]string{"-Hunix:///x.sock", "ps"}, "ps"},
		{[]string{"--host=unix:///x.sock", "--log-level", "debug", "-D", "container", "ls"}, "container"},
		{[]string{"--log-level=debug", "--debug", "images"}, "images"},
		{[]string{"--help"}, ""},
		{[]string{"--bogus", "run"}, ""},
		{[]string{"-H"}, ""},
	}
	for _, tt := range tests {
		if got := commandName(tt.args); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestLazyRoot: the tree built for one command holds that command exactly
// as the whole tree does (flags, subcommands), and nothing else.
func TestLazyRoot(t *testing.T) {
	full := newRoot(command.New(), "")
	for _, want := range full.Commands() {
		lazy := newRoot(command.New(), want.Name())
		if n := len(lazy.Commands()); n != 1 {
			t.Errorf("%s: %d top-level commands", want.Name(), n)
			continue
		}
		if got, want := describe(lazy.Commands()[0]), describe(want); got != want {
			t.Errorf("lazy %s differs:\n%s\nwant\n%s", lazy.Commands()[0].Name(), got, want)
		}
	}
	if n := len(newRoot(command.New(), "bogus").Commands()); n != len(full.Commands()) {
		t.Errorf("unknown command: %d top-level commands, want the whole tree (%d)", n, len(full.Commands()))
	}
}

// describe renders a command, its flags and its subcommands.
func describe(cmd *cobra.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q %q %v\n", cmd.CommandPath(), cmd.Use, cmd.Short, cmd.Aliases)
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		fmt.Fprintf(&b, "  --%s -%s %s %q %q hidden=%v\n", f.Name, f.Shorthand, f.Value.Type(), f.DefValue, f.Usage, f.Hidden)
	})
	for _, sub := range cmd.Commands() {
		b.WriteString(describe(sub))
	}
	return b.String()
}

func TestVersionFlag(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		c := command.New()
		out := &bytes.Buffer{}
		c.Out, c.Err = out, &bytes.Buffer{}
		root := newRoot(c, commandName([]string{flag}))
		root.SetArgs([]string{flag})
		if code := exitCode(root.Execute(), c); code != 0 || !strings.HasPrefix(out.String(), "Berth version ") {
			t.Errorf("%s: exit %d, %q", flag, code, out.String())
		}
	}
}

// TestDaemonMissing: without berth-daemon beside berth (the test binary
// has none), `berth daemon` says so instead of failing obscurely.
func TestDaemonMissing(t *testing.T) {
	code, stderr := execute(t, "daemon", "--data-root", "/nonexistent")
	if code != 1 || !strings.Contains(stderr, "berth-daemon, is not installed next to") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
}
