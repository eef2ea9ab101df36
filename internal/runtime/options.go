package runtime

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/containerd/errdefs"
)

// StartOptions describe the container a shim runs.
type StartOptions struct {
	ID, Bundle string // bundle holds config.json; its rootfs is already mounted
	ShimBinary string // the berth binary, run as `<ShimBinary> shim <flags>`
	Runtime    string // "runc" (looked up in PATH) or a path; default "runc"
	// RuntimeFile is a sealed copy of Runtime (SealedCopy) that the shim
	// runs instead, inherited as RuntimeFd; nil to run Runtime itself.
	RuntimeFile *os.File
	RuntimeFd   int    // the shim's side of RuntimeFile; 0 for none
	RuntimeLink string // a link to /proc/self/fd/RuntimeFd named like the runtime (see RuntimeLink)
	RuntimeRoot string // runc --root, e.g. /run/berth/runc
	SocketPath  string // the shim's unix socket; keep it under 108 bytes

	Tty, OpenStdin, StdinOnce bool

	// HoldStart keeps a runtime that creates and starts in two steps (crun)
	// between the two until Shim.StartHeld: the daemon finishes the
	// container's network meanwhile. Ignored for other runtimes.
	HoldStart bool

	LogPath     string // json-file log; "" for no log
	LogMaxSize  int64  // bytes before rotation; 0 = never rotate
	LogMaxFiles int    // files kept, the current one included
}

// ShimArgs renders opts as the shim's command-line flags (after "shim").
func ShimArgs(opts StartOptions) []string {
	return []string{
		"--id", opts.ID,
		"--bundle", opts.Bundle,
		"--runtime", opts.Runtime,
		"--runtime-root", opts.RuntimeRoot,
		"--socket", opts.SocketPath,
		"--tty=" + strconv.FormatBool(opts.Tty),
		"--stdin=" + strconv.FormatBool(opts.OpenStdin),
		"--stdin-once=" + strconv.FormatBool(opts.StdinOnce),
		"--hold-start=" + strconv.FormatBool(opts.HoldStart),
		"--log-path", opts.LogPath,
		"--log-max-size", strconv.FormatInt(opts.LogMaxSize, 10),
		"--log-max-files", strconv.Itoa(opts.LogMaxFiles),
		"--runtime-fd", strconv.Itoa(opts.RuntimeFd),
		"--runtime-link", opts.RuntimeLink,
	}
}

// ParseShimArgs is the inverse of ShimArgs.
func ParseShimArgs(args []string) (StartOptions, error) {
	var o StartOptions
	fs := flag.NewFlagSet("shim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.ID, "id", "", "")
	fs.StringVar(&o.Bundle, "bundle", "", "")
	fs.StringVar(&o.Runtime, "runtime", "runc", "")
	fs.StringVar(&o.RuntimeRoot, "runtime-root", "", "")
	fs.StringVar(&o.SocketPath, "socket", "", "")
	fs.BoolVar(&o.Tty, "tty", false, "")
	fs.BoolVar(&o.OpenStdin, "stdin", false, "")
	fs.BoolVar(&o.StdinOnce, "stdin-once", false, "")
	fs.BoolVar(&o.HoldStart, "hold-start", false, "")
	fs.StringVar(&o.LogPath, "log-path", "", "")
	fs.Int64Var(&o.LogMaxSize, "log-max-size", 0, "")
	fs.IntVar(&o.LogMaxFiles, "log-max-files", 1, "")
	fs.IntVar(&o.RuntimeFd, "runtime-fd", 0, "")
	fs.StringVar(&o.RuntimeLink, "runtime-link", "", "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("shim flags: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	return o, o.validate()
}

func (o *StartOptions) validate() error {
	if o.Runtime == "" {
		o.Runtime = "runc"
	}
	switch {
	case o.ID == "", o.Bundle == "", o.RuntimeRoot == "", o.SocketPath == "":
		return fmt.Errorf("shim needs id, bundle, runtime root and socket: %w", errdefs.ErrInvalidArgument)
	case len(o.SocketPath) >= 108:
		return fmt.Errorf("shim socket path %q is too long: %w", o.SocketPath, errdefs.ErrInvalidArgument)
	}
	return nil
}
