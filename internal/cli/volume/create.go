package volume

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type createOptions struct {
	name, driver string
	opts, labels []string
}

func newCreateCommand(c *command.CLI) *cobra.Command {
	var o createOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  command.RequiresRangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if o.name != "" {
					return command.InvalidArgument("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
				}
				o.name = args[0]
			}
			return runCreate(cmd.Context(), c, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.driver, "driver", "d", "local", "Specify volume driver name")
	fs.StringVar(&o.name, "name", "", "Specify volume name")
	_ = fs.MarkHidden("name")
	command.StringListVarP(fs, &o.opts, "opt", "o", "Set driver specific options")
	command.StringListVar(fs, &o.labels, "label", "Set metadata for a volume")
	return cmd
}

func runCreate(ctx context.Context, c *command.CLI, o createOptions) error {
	opts, err := keyValues(o.opts, false)
	if err != nil {
		return err
	}
	labels, _ := keyValues(o.labels, true)
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: o.name, Driver: o.driver, DriverOpts: opts, Labels: labels})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Out, res.Volume.Name)
	return nil
}

// keyValues parses key=value flags; a bare key is allowed for labels.
func keyValues(in []string, bare bool) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok && !bare {
			return nil, command.InvalidArgument("invalid key/value pair format in driver options")
		}
		out[k] = v
	}
	return out, nil
}
