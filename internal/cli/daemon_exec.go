package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
)

// daemonBinaryName is the engine's binary (cmd/berth-daemon), installed
// next to berth.
const daemonBinaryName = "berth-daemon"

// newDaemonCommand returns `berth daemon`: it becomes berth-daemon with
// the rest of the command line, which parses the flags (and --help).
func newDaemonCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "daemon [OPTIONS]",
		Short:              "Run the Berth engine (a dockerd-compatible daemon)",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			bin, err := daemonBinary()
			if err != nil {
				return err
			}
			return syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
		},
	}
}

// daemonBinary returns the berth-daemon next to the running berth.
func daemonBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("berth daemon: %w", err)
	}
	bin := filepath.Join(filepath.Dir(exe), daemonBinaryName)
	if st, err := os.Stat(bin); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("berth daemon: the engine, %s, is not installed next to %s", daemonBinaryName, exe)
	}
	return bin, nil
}
