package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInspectCommand(c *command.CLI) *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.Context(), c, tmpl, args)
		},
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", "Format output using a custom template")
	return cmd
}

func runInspect(ctx context.Context, c *command.CLI, tmpl string, names []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var raws []json.RawMessage
	var errs []error
	for _, n := range names {
		res, err := api.VolumeInspect(ctx, n, client.VolumeInspectOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		raws = append(raws, res.Raw)
	}
	if err := writeInspect(c.Out, tmpl, raws); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// writeInspect prints an indented JSON array, or the template per volume.
func writeInspect(w io.Writer, tmpl string, raws []json.RawMessage) error {
	if tmpl == "" {
		var vals []any
		for _, r := range raws {
			var v any
			if err := json.Unmarshal(r, &v); err != nil {
				return err
			}
			vals = append(vals, v)
		}
		if vals == nil {
			vals = []any{}
		}
		out, err := json.MarshalIndent(vals, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", out)
		return err
	}
	rows := make([]any, 0, len(raws))
	for _, r := range raws {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return err
		}
		rows = append(rows, v)
	}
	if tmpl == format.JSONKey {
		tmpl = "{{json .}}"
	}
	return format.Write(w, tmpl, nil, rows)
}
