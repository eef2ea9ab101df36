package system

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	format string
	kind   string
	size   bool
}

func newInspectCommand(c *command.CLI) *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Docker objects",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.Context(), c, o, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.format, "format", "f", "", "Format output using a custom template")
	fs.StringVar(&o.kind, "type", "", "Only inspect objects of the given type")
	fs.BoolVarP(&o.size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

// object is one inspected object: the daemon's raw JSON and its typed form.
type object struct {
	raw   json.RawMessage
	typed any
}

func runInspect(ctx context.Context, c *command.CLI, o inspectOptions, refs []string) error {
	switch o.kind {
	case "", "container", "image":
	default:
		return command.InvalidArgument("%q is not a valid value for --type", o.kind)
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var objs []object
	var errs []error
	for _, ref := range refs {
		obj, err := o.lookup(ctx, api, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, obj)
	}
	if err := writeInspect(c.Out, o.format, objs); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// lookup finds ref as a container, then as an image (or only as --type).
func (o inspectOptions) lookup(ctx context.Context, api command.APIClient, ref string) (object, error) {
	if o.kind == "" || o.kind == "container" {
		res, err := api.ContainerInspect(ctx, ref, client.ContainerInspectOptions{Size: o.size})
		if err == nil {
			return object{raw: res.Raw, typed: res.Container}, nil
		}
		if !errdefs.IsNotFound(err) {
			return object{}, err
		}
		if o.kind == "container" {
			return object{}, notFound("container", ref)
		}
	}
	buf := &bytes.Buffer{}
	res, err := api.ImageInspect(ctx, ref, client.ImageInspectWithRawResponse(buf))
	switch {
	case err == nil:
		return object{raw: buf.Bytes(), typed: res.InspectResponse}, nil
	case !errdefs.IsNotFound(err):
		return object{}, err
	case o.kind == "image":
		return object{}, notFound("image", ref)
	}
	return object{}, notFound("object", ref)
}

func notFound(kind, ref string) error {
	return command.NotFound("Error: No such %s: %s", kind, ref)
}

// writeInspect prints the objects as docker does: an indented JSON array,
// or the template once per object.
func writeInspect(w io.Writer, tmpl string, objs []object) error {
	if tmpl == "" {
		return writeJSONArray(w, objs)
	}
	t, err := format.Parse(strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(templateFor(tmpl)))
	if err != nil {
		return command.InvalidArgument("template parsing error: %v", err)
	}
	for _, obj := range objs {
		buf := &bytes.Buffer{}
		if err := t.Execute(buf, obj.typed); err != nil {
			buf.Reset()
			var generic any
			if jerr := json.Unmarshal(obj.raw, &generic); jerr != nil {
				return jerr
			}
			if err := t.Execute(buf, generic); err != nil {
				return command.InvalidArgument("template: %v", err)
			}
		}
		buf.WriteString("\n")
		if _, err := buf.WriteTo(w); err != nil {
			return err
		}
	}
	return nil
}

func templateFor(f string) string {
	if f == format.JSONKey {
		return "{{json .}}"
	}
	return f
}

func writeJSONArray(w io.Writer, objs []object) error {
	if len(objs) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	buf := &bytes.Buffer{}
	buf.WriteString("[\n")
	for i, o := range objs {
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteString("    ")
		if err := json.Indent(buf, bytes.TrimSpace(o.raw), "    ", "    "); err != nil {
			return err
		}
	}
	buf.WriteString("\n]\n")
	_, err := buf.WriteTo(w)
	return err
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
