package compose

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-units"
	"github.com/spf13/cobra"
)

func newConfigCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o configOptions
	cmd := &cobra.Command{
		Use:     "config [OPTIONS] [SERVICE...]",
		Aliases: []string{"convert"},
		Short:   "Parse, resolve and render compose file in canonical format",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := po.load(cmd.Context(), args...)
			if err != nil {
				return err
			}
			if o.quiet {
				return nil
			}
			data, err := o.render(p, cmd.Flags().Changed("hash"))
			if err != nil {
				return err
			}
			if o.output != "" {
				return os.WriteFile(o.output, data, 0o644)
			}
			_, err = c.Out.Write(data)
			return err
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.services, "services", false, "Print the service names, one per line")
	fs.BoolVar(&o.volumes, "volumes", false, "Print the volume names, one per line")
	fs.BoolVar(&o.networks, "networks", false, "Print the network names, one per line")
	fs.BoolVar(&o.images, "images", false, "Print the image names, one per line")
	fs.BoolVar(&o.profiles, "profiles", false, "Print the profile names, one per line")
	fs.StringVar(&o.hash, "hash", "", `Print the service config hash, one per line ("*" for all services)`)
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only validate the configuration, don't print anything")
	fs.StringVar(&o.format, "format", "yaml", "Format the output. Values: [yaml | json]")
	fs.StringVarP(&o.output, "output", "o", "", "Save to file (default to stdout)")
	return cmd
}

type configOptions struct {
	services, volumes, networks, images, profiles, quiet bool
	hash, format, output                                 string
}

// render is what config prints: one of the lists, or the whole model.
func (o configOptions) render(p *types.Project, hash bool) ([]byte, error) {
	switch {
	case o.services:
		return lines(p.ServiceNames()), nil
	case o.volumes:
		return lines(p.VolumeNames()), nil
	case o.networks:
		return lines(p.NetworkNames()), nil
	case o.images:
		var images []string
		for _, name := range p.ServiceNames() {
			images = append(images, compose.ImageName(p, p.Services[name]))
		}
		return lines(images), nil
	case o.profiles:
		return lines(allProfiles(p)), nil
	case hash:
		return serviceHashes(p, o.hash)
	case o.format == "json":
		return p.MarshalJSON()
	case o.format == "yaml" || o.format == "":
		return p.MarshalYAML()
	}
	return nil, command.InvalidArgument("unsupported --format %q: want yaml or json", o.format)
}

func lines(list []string) []byte {
	var b strings.Builder
	for _, s := range list {
		b.WriteString(s + "\n")
	}
	return []byte(b.String())
}

// allProfiles are the profiles any service (enabled or not) names, sorted.
func allProfiles(p *types.Project) []string {
	var out []string
	for _, services := range []types.Services{p.Services, p.DisabledServices} {
		for _, s := range services {
			for _, pr := range s.Profiles {
				if !slices.Contains(out, pr) {
					out = append(out, pr)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// serviceHashes renders "service hash" lines for the comma-separated
// services of spec ("*": all).
func serviceHashes(p *types.Project, spec string) ([]byte, error) {
	names := p.ServiceNames()
	if spec != "*" {
		names = strings.Split(spec, ",")
	}
	var out []string
	for _, name := range names {
		s, err := p.GetService(name)
		if err != nil {
			return nil, command.NotFound("no such service: %s", name)
		}
		h, err := compose.ServiceHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, name+" "+h)
	}
	return lines(out), nil
}

func newImagesCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [SERVICE...]",
		Short: "List images used by the created containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := po.projectName(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			rows, err := svc.Images(ctx, name, args...)
			if err != nil {
				return err
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(c.Out, r.ID)
				}
				return nil
			}
			tw := tabwriter.NewWriter(c.Out, 0, 0, 3, ' ', 0)
			fmt.Fprintln(tw, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE")
			for _, r := range rows {
				id := strings.TrimPrefix(r.ID, "sha256:")
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.12s\t%s\n", r.Container, r.Repository, r.Tag, id, units.HumanSizeWithPrecision(float64(r.Size), 3))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	return cmd
}

func newTopCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICES...]",
		Short: "Display the running processes",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := po.projectName(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			res, err := svc.Top(ctx, name, args...)
			if err != nil {
				return err
			}
			for _, r := range res {
				fmt.Fprintln(c.Out, r.Name)
				tw := tabwriter.NewWriter(c.Out, 0, 0, 3, ' ', 0)
				fmt.Fprintln(tw, strings.Join(r.Titles, "\t"))
				for _, p := range r.Procs {
					fmt.Fprintln(tw, strings.Join(p, "\t"))
				}
				_ = tw.Flush()
				fmt.Fprintln(c.Out)
			}
			return nil
		},
	}
}

func newPortCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var protocol string
	var index int
	cmd := &cobra.Command{
		Use:   "port [OPTIONS] SERVICE PRIVATE_PORT",
		Short: "Print the public port for a port binding",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			port, err := strconv.ParseUint(args[1], 10, 16)
			if err != nil {
				return command.InvalidArgument("invalid port %q", args[1])
			}
			name, _, err := po.projectName(ctx)
			if err != nil {
				return err
			}
			svc, err := service(ctx, c)
			if err != nil {
				return err
			}
			addr, err := svc.Port(ctx, name, args[0], index, uint16(port), protocol)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out, addr)
			return nil
		},
	}
	cmd.Flags().StringVar(&protocol, "protocol", "tcp", "tcp or udp")
	cmd.Flags().IntVar(&index, "index", 0, "Index of the container if service has multiple replicas")
	return cmd
}
