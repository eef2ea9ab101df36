package image

import (
	"context"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type imagesOptions struct {
	all     bool
	quiet   bool
	noTrunc bool
	digests bool
	format  string
	filters []string
}

func newImagesCommand(c *command.CLI) *cobra.Command {
	var o imagesOptions
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  command.RequiresRangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImages(cmd.Context(), c, o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "Show all images (default hides intermediate images)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	fs.BoolVar(&o.digests, "digests", false, "Show digests")
	fs.StringVar(&o.format, "format", "", "Format output using a custom template")
	command.StringListVarP(fs, &o.filters, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

func runImages(ctx context.Context, c *command.CLI, o imagesOptions, args []string) error {
	filters, err := command.ParseFilters(o.filters)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		filters.Add("reference", args[0])
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ImageList(ctx, client.ImageListOptions{All: o.all, Filters: filters})
	if err != nil {
		return err
	}
	tmpl := o.template()
	imgs := format.ImageRows(res.Items, o.digests || format.Uses(tmpl, ".Digest"), !o.noTrunc, time.Now())
	rows := make([]any, len(imgs))
	for i := range imgs {
		rows[i] = imgs[i]
	}
	return format.Write(c.Out, tmpl, format.ImageHeader{}, rows)
}

func (o imagesOptions) template() string {
	switch {
	case o.quiet:
		return format.ImageQuiet
	case o.format == "" || o.format == format.TableKey:
		if o.digests {
			return format.ImageTableDigests
		}
		return format.ImageTable
	}
	return o.format
}
