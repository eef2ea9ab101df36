package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/template"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInspectCommand(c *command.CLI) *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  command.RequiresMinArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runInspect(cmd.Context(), c, tmpl, args) },
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", "Format output using a custom template")
	return cmd
}

func runInspect(ctx context.Context, c *command.CLI, tmpl string, refs []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var vals []any
	var errs []error
	for _, ref := range refs {
		res, err := api.NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var v any
		if err := json.Unmarshal(res.Raw, &v); err != nil {
			return err
		}
		vals = append(vals, v)
	}
	if tmpl == "" {
		if vals == nil {
			vals = []any{}
		}
		out, err := json.MarshalIndent(vals, "", "    ")
		if err != nil {
			return err
		}
		fmt.Fprintln(c.Out, string(out))
		return errors.Join(errs...)
	}
	t, err := template.New("").Funcs(template.FuncMap{"json": func(v any) string { b, _ := json.Marshal(v); return string(b) }}).Parse(tmpl)
	if err != nil {
		return command.InvalidArgument("template parsing error: %v", err)
	}
	for _, v := range vals {
		var b bytes.Buffer
		if err := t.Execute(&b, v); err != nil {
			return err
		}
		fmt.Fprintln(c.Out, b.String())
	}
	return errors.Join(errs...)
}
