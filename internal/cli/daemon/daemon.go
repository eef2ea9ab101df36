package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/berth-engine/berth/internal/cli/command"
	engine "github.com/berth-engine/berth/internal/daemon"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// RunFunc runs the engine until ctx is cancelled; setFlags holds the names
// of the flags the user set, which daemon.json must not override.
type RunFunc func(ctx context.Context, cfg engine.Config, setFlags map[string]bool) error

// NewCommand returns `berth daemon`, which calls run (engine.Run in the
// binary, a fake in tests).
func NewCommand(run RunFunc) *cobra.Command {
	var cfg engine.Config
	var debug, favor bool
	cmd := &cobra.Command{
		Use:   "daemon [OPTIONS]",
		Short: "Run the Berth engine (a dockerd-compatible daemon)",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set := setFlags(cmd.Flags())
			if set["cgroup-favordynmods"] {
				cfg.CgroupFavorDynMods = &favor
			}
			if debug && !set["log-level"] {
				cfg.LogLevel = "debug"
				set["log-level"] = true
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, unix.SIGTERM)
			defer stop()
			return run(ctx, cfg, set)
		},
	}
	addFlags(cmd.Flags(), &cfg, &debug)
	cmd.Flags().BoolVar(&favor, "cgroup-favordynmods", true, "Turn on the cgroup2 favordynmods option: faster container starts")
	return cmd
}

func addFlags(fs *pflag.FlagSet, cfg *engine.Config, debug *bool) {
	fs.StringVar(&cfg.DataRoot, "data-root", engine.DefaultDataRoot, "Root directory of persistent Berth state")
	fs.StringVar(&cfg.ExecRoot, "exec-root", engine.DefaultExecRoot, "Root directory for execution state files")
	command.StringListVarP(fs, &cfg.Hosts, "host", "H", "Daemon socket(s) to connect to")
	fs.StringVarP(&cfg.Pidfile, "pidfile", "p", "", "Path to use for daemon PID file")
	fs.StringVar(&cfg.ConfigFile, "config-file", engine.DefaultConfigFile, "Daemon configuration file")
	fs.StringVarP(&cfg.LogLevel, "log-level", "l", "info", `Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")`)
	fs.BoolVarP(debug, "debug", "D", false, "Enable debug mode")
	fs.StringVar(&cfg.DefaultRuntime, "default-runtime", "", `Default OCI runtime for containers (default "crun" when installed, else "runc")`)
	fs.StringVarP(&cfg.Bridge, "bridge", "b", engine.DefaultBridge, "Attach containers to a network bridge")
	fs.StringVar(&cfg.FixedCIDR, "fixed-cidr", "", "IPv4 subnet for the default bridge network")
	fs.BoolVar(&cfg.IPv6, "ipv6", false, "Enable IPv6 networking on the default bridge network")
	fs.StringVar(&cfg.FixedCIDRv6, "fixed-cidr-v6", "", "IPv6 subnet for the default bridge network")
	fs.StringVar(&cfg.CgroupParent, "cgroup-parent", "", "Set parent cgroup for all containers")
	fs.StringVarP(&cfg.StorageDriver, "storage-driver", "s", "", "Storage driver to use")
	command.StringListVar(fs, &cfg.InsecureRegistries, "insecure-registry", "Enable insecure registry communication")
	fs.StringVar(&cfg.RegistryCertsDir, "registry-certs-dir", "", "Directory of per-registry certificates, <dir>/<host:port>/ca.crt (default \""+engine.DefaultRegistryCertsDir+"\")")
}

func setFlags(fs *pflag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	return set
}

// Main runs `berth daemon` with args, what followed "daemon" on the
// command line, and returns the exit code: 125 for flag errors, 1 when the
// engine fails.
func Main(args []string) int {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(daemonGCPercent)
	}
	return runMain(engine.Run, args, os.Stderr)
}

// daemonGCPercent is the daemon's GOGC unless the environment sets one.
// Its live heap is about 2 MB, so with Go's default the heap goal stays at
// the 4 MB floor and a burst of container starts collects every seven
// starts (7 cycles, about 2% of all the CPU of 50 starts). At 200 the
// floor is 8 MB: half the cycles, for at most 4 MB more heap.
const daemonGCPercent = 200

func runMain(run RunFunc, args []string, errOut io.Writer) int {
	root := &cobra.Command{
		Use: "berth", SilenceErrors: true, SilenceUsage: true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	cmd := NewCommand(run)
	cmd.DisableFlagsInUseLine = true
	root.AddCommand(cmd)
	root.SetFlagErrorFunc(command.FlagErrorFunc)
	root.SetOut(os.Stdout)
	root.SetErr(errOut)
	root.SetArgs(append([]string{"daemon"}, args...))
	err := root.Execute()
	if err == nil {
		return 0
	}
	var se command.StatusError
	if errors.As(err, &se) {
		if se.Status != "" {
			fmt.Fprintln(errOut, se.Status)
		}
		if se.StatusCode != 0 {
			return se.StatusCode
		}
		return 1
	}
	fmt.Fprintln(errOut, err)
	return 1
}
