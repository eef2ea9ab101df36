package image

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newSaveCommand(c *command.CLI) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSave(cmd.Context(), c, output, args)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

func runSave(ctx context.Context, c *command.CLI, output string, names []string) error {
	if output == "" && isTerminal(c.Out) {
		return command.InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	rc, err := api.ImageSave(ctx, names)
	if err != nil {
		return err
	}
	defer rc.Close()
	if output == "" {
		_, err = io.Copy(c.Out, rc)
		return err
	}
	return writeFileAtomic(output, rc)
}

// writeFileAtomic writes r next to output and renames it into place, so
// a failed transfer leaves no partial file.
func writeFileAtomic(output string, rc io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(output), ".berth-save-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), output)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func newLoadCommand(c *command.CLI) *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd.Context(), c, input, quiet)
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}

func runLoad(ctx context.Context, c *command.CLI, input string, quiet bool) error {
	var in io.Reader = c.In
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	} else if c.In == nil || isTerminal(c.In) {
		return command.InvalidArgument("requested load from stdin, but stdin is empty")
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	rc, err := api.ImageLoad(ctx, in, client.ImageLoadWithQuiet(quiet))
	if err != nil {
		return err
	}
	defer rc.Close()
	return command.DisplayStream(rc, c.Out)
}
