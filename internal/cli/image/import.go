package image

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

type importOptions struct {
	changes  []string
	message  string
	platform string
}

func newImportCommand(c *command.CLI) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), c, o, args)
		},
	}
	fs := cmd.Flags()
	command.StringListVarP(fs, &o.changes, "change", "c", "Apply Dockerfile instruction to the created image")
	fs.StringVarP(&o.message, "message", "m", "", "Set commit message for imported image")
	fs.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	return cmd
}

func runImport(ctx context.Context, c *command.CLI, o importOptions, args []string) error {
	src, closeSrc, err := importSource(c, args[0])
	if err != nil {
		return err
	}
	defer closeSrc()
	ref := ""
	if len(args) == 2 {
		ref = args[1]
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	rc, err := api.ImageImport(ctx, src, ref, client.ImageImportOptions{
		Message: o.message, Changes: o.changes, Platform: platformOf(o.platform),
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	return command.DisplayStream(rc, c.Out)
}

// importSource resolves docker's three source forms: "-" (stdin), a URL the
// daemon fetches, or a local file streamed by the client.
func importSource(c *command.CLI, arg string) (client.ImageImportSource, func(), error) {
	switch {
	case arg == "-":
		var in io.Reader = c.In
		return client.ImageImportSource{Source: in, SourceName: "-"}, func() {}, nil
	case strings.HasPrefix(arg, "http://"), strings.HasPrefix(arg, "https://"):
		return client.ImageImportSource{SourceName: arg}, func() {}, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return client.ImageImportSource{}, nil, err
	}
	return client.ImageImportSource{Source: f, SourceName: "-"}, func() { _ = f.Close() }, nil
}

func platformOf(s string) ocispec.Platform {
	if s == "" {
		return ocispec.Platform{}
	}
	parts := strings.SplitN(strings.ToLower(s), "/", 3)
	p := ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p
}
