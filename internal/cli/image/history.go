package image

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
	"github.com/spf13/cobra"
)

type historyOptions struct {
	human, quiet, noTrunc bool
	format                string
}

func newHistoryCommand(c *command.CLI) *cobra.Command {
	var o historyOptions
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd.Context(), c, o, args[0])
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.human, "human", true, "Print sizes and dates in human readable format")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	fs.StringVar(&o.format, "format", "", "Format output using a custom template")
	return cmd
}

func runHistory(ctx context.Context, c *command.CLI, o historyOptions, name string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ImageHistory(ctx, name)
	if err != nil {
		return err
	}
	if o.format != "" {
		tmpl, err := format.Parse(o.format)
		if err != nil {
			return command.InvalidArgument("template parsing error: %v", err)
		}
		for _, h := range res.Items {
			if err := tmpl.Execute(c.Out, historyRow(h, o, time.Now())); err != nil {
				return err
			}
			fmt.Fprintln(c.Out)
		}
		return nil
	}
	if o.quiet {
		for _, h := range res.Items {
			fmt.Fprintln(c.Out, historyRow(h, o, time.Now()).ID)
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.Out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT")
	for _, h := range res.Items {
		r := historyRow(h, o, time.Now())
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.CreatedSince, r.CreatedBy, r.Size, r.Comment)
	}
	return tw.Flush()
}

// historyEntry is the template context of one history row.
type historyEntry struct {
	ID, CreatedSince, CreatedAt, CreatedBy, Size, Comment string
}

func historyRow(h image.HistoryResponseItem, o historyOptions, now time.Time) historyEntry {
	r := historyEntry{ID: h.ID, CreatedBy: strings.ReplaceAll(h.CreatedBy, "\t", " "), Comment: h.Comment}
	if !o.noTrunc && r.ID != "<missing>" {
		r.ID = strings.TrimPrefix(r.ID, "sha256:")
		if len(r.ID) > 12 {
			r.ID = r.ID[:12]
		}
	}
	if !o.noTrunc && len([]rune(r.CreatedBy)) > 45 {
		r.CreatedBy = string([]rune(r.CreatedBy)[:44]) + "…"
	}
	created := time.Unix(h.Created, 0)
	r.CreatedAt = created.Format(time.RFC3339)
	r.CreatedSince, r.Size = r.CreatedAt, fmt.Sprint(h.Size)
	if o.human {
		r.CreatedSince = units.HumanDuration(now.Sub(created)) + " ago"
		r.Size = units.HumanSizeWithPrecision(float64(h.Size), 3)
	}
	return r
}
