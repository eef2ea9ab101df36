package network

import (
	"context"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	netapi "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type listOptions struct {
	quiet, noTrunc bool
	format         string
	filters        []string
}

func newListCommand(c *command.CLI) *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    command.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runList(cmd.Context(), c, o) },
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only display network IDs")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate the output")
	fs.StringVar(&o.format, "format", "", "Format output using a custom template")
	command.StringListVarP(fs, &o.filters, "filter", "f", `Provide filter values (e.g. "driver=bridge")`)
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
	res, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: filters})
	if err != nil {
		return err
	}
	f := o.format
	switch {
	case o.quiet:
		f = "{{.ID}}"
	case f == "":
		f = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
	}
	rows := make([]any, 0, len(res.Items))
	for _, n := range res.Items {
		rows = append(rows, row{n.Network, !o.noTrunc})
	}
	return format.Write(c.Out, f, header{}, rows)
}

// row is one `network ls` line; header names its columns.
type row struct {
	n     netapi.Network
	trunc bool
}

func (r row) ID() string {
	if r.trunc && len(r.n.ID) > 12 {
		return r.n.ID[:12]
	}
	return r.n.ID
}
func (r row) Name() string             { return r.n.Name }
func (r row) Driver() string           { return r.n.Driver }
func (r row) Scope() string            { return r.n.Scope }
func (r row) Internal() bool           { return r.n.Internal }
func (r row) Label(name string) string { return r.n.Labels[name] }

type header struct{}

func (header) ID() string          { return "NETWORK ID" }
func (header) Name() string        { return "NAME" }
func (header) Driver() string      { return "DRIVER" }
func (header) Scope() string       { return "SCOPE" }
func (header) Internal() string    { return "INTERNAL" }
func (header) Label(string) string { return "LABEL" }
