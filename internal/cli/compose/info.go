package compose

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/spf13/cobra"
)

func newConfigCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var services, volumes, quiet bool
	var format string
	cmd := &cobra.Command{
		Use:     "config [OPTIONS] [SERVICE...]",
		Aliases: []string{"convert"},
		Short:   "Parse, resolve and render compose file in canonical format",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := po.load(cmd.Context(), args...)
			if err != nil {
				return err
			}
			switch {
			case quiet:
				return nil
			case services:
				names := p.ServiceNames()
				sort.Strings(names)
				fmt.Fprintln(c.Out, strings.Join(names, "\n"))
				return nil
			case volumes:
				for _, v := range p.VolumeNames() {
					fmt.Fprintln(c.Out, v)
				}
				return nil
			}
			var data []byte
			if format == "json" {
				data, err = p.MarshalJSON()
			} else {
				data, err = p.MarshalYAML()
			}
			if err != nil {
				return err
			}
			_, err = c.Out.Write(data)
			return err
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&services, "services", false, "Print the service names, one per line")
	fs.BoolVar(&volumes, "volumes", false, "Print the volume names, one per line")
	fs.BoolVarP(&quiet, "quiet", "q", false, "Only validate the configuration, don't print anything")
	fs.StringVar(&format, "format", "yaml", "Format the output. Values: [yaml | json]")
	return cmd
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
