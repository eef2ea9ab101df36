package volume

import (
	"context"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	apivolume "github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type listOptions struct {
	quiet   bool
	format  string
	filters []string
}

func newListCommand(c *command.CLI) *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    command.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runList(cmd.Context(), c, o) },
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only display volume names")
	fs.StringVar(&o.format, "format", "", "Format output using a custom template")
	command.StringListVarP(fs, &o.filters, "filter", "f", `Provide filter values (e.g. "dangling=true")`)
	return cmd
}

func runList(ctx context.Context, c *command.CLI, o listOptions) error {
	filters, err := command.ParseFilters(o.filters)
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.VolumeList(ctx, client.VolumeListOptions{Filters: filters})
	if err != nil {
		return err
	}
	f := o.format
	switch {
	case o.quiet:
		f = "{{.Name}}"
	case f == "":
		f = "table {{.Driver}}\t{{.Name}}"
	}
	rows := make([]any, 0, len(res.Items))
	for _, v := range res.Items {
		rows = append(rows, row{v})
	}
	return format.Write(c.Out, f, header{}, rows)
}

// row is one `volume ls` line; header names its columns.
type row struct{ v apivolume.Volume }

func (r row) Name() string       { return r.v.Name }
func (r row) Driver() string     { return r.v.Driver }
func (r row) Scope() string      { return r.v.Scope }
func (r row) Mountpoint() string { return r.v.Mountpoint }
func (r row) Labels() string {
	var parts []string
	for k, v := range r.v.Labels {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}
func (r row) Label(name string) string { return r.v.Labels[name] }

type header struct{}

func (header) Name() string        { return "VOLUME NAME" }
func (header) Driver() string      { return "DRIVER" }
func (header) Scope() string       { return "SCOPE" }
func (header) Mountpoint() string  { return "MOUNTPOINT" }
func (header) Labels() string      { return "LABELS" }
func (header) Label(string) string { return "LABEL" }
