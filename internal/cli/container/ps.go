package container

import (
	"context"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type psOptions struct {
	all     bool
	quiet   bool
	noTrunc bool
	latest  bool
	size    bool
	last    int
	format  string
	filters []string
}

func newPsCommand(c *command.CLI) *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPs(cmd.Context(), c, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	fs.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	fs.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	fs.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	fs.StringVar(&o.format, "format", "", formatHelp)
	command.StringListVarP(fs, &o.filters, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

const formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.`

func runPs(ctx context.Context, c *command.CLI, o psOptions) error {
	opts, err := o.listOptions()
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ContainerList(ctx, opts)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]any, 0, len(res.Items))
	for _, ctr := range res.Items {
		rows = append(rows, format.NewContainer(ctr, !o.noTrunc, now))
	}
	return format.Write(c.Out, o.template(), format.ContainerHeader{}, rows)
}

func (o psOptions) listOptions() (client.ContainerListOptions, error) {
	filters, err := command.ParseFilters(o.filters)
	if err != nil {
		return client.ContainerListOptions{}, err
	}
	opts := client.ContainerListOptions{All: o.all, Limit: o.last, Filters: filters}
	if o.latest && o.last == -1 {
		opts.Limit = 1
	}
	if opts.Limit > 0 {
		opts.All = true
	}
	opts.Size = o.size || (!o.quiet && format.Uses(o.template(), ".Size"))
	return opts, nil
}

func (o psOptions) template() string {
	switch {
	case o.quiet:
		return format.ContainerQuiet
	case o.format == "" || o.format == format.TableKey:
		if o.size {
			return format.ContainerTableSize
		}
		return format.ContainerTable
	}
	return o.format
}
