package compose

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

func newPsCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var all, quiet, services bool
	var format string
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List containers",
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
			ctrs, err := svc.Ps(ctx, name, all, args...)
			if err != nil {
				return err
			}
			switch {
			case quiet:
				for _, ctr := range ctrs {
					fmt.Fprintln(c.Out, ctr.ID)
				}
			case services:
				printServices(c.Out, ctrs)
			case format == "json":
				return json.NewEncoder(c.Out).Encode(ctrs)
			default:
				printPs(c.Out, ctrs)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Show all stopped containers")
	fs.BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	fs.BoolVar(&services, "services", false, "Display services")
	fs.StringVar(&format, "format", "table", "Format the output: table or json")
	return cmd
}

func printServices(out io.Writer, ctrs []container.Summary) {
	seen := map[string]bool{}
	for _, ctr := range ctrs {
		if s := ctr.Labels[compose.LabelService]; !seen[s] {
			seen[s] = true
			fmt.Fprintln(out, s)
		}
	}
}

func printPs(out io.Writer, ctrs []container.Summary) {
	tw := tabwriter.NewWriter(out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS")
	for _, ctr := range ctrs {
		name := strings.TrimPrefix(first(ctr.Names), "/")
		created := time.Since(time.Unix(ctr.Created, 0)).Round(time.Second).String() + " ago"
		fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%s\t%s\t%s\n", name, ctr.Image, truncate(ctr.Command, 20),
			ctr.Labels[compose.LabelService], created, ctr.Status, ports(ctr.Ports))
	}
	_ = tw.Flush()
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func ports(ps []container.PortSummary) string {
	var out []string
	for _, p := range ps {
		if p.PublicPort == 0 {
			out = append(out, fmt.Sprintf("%d/%s", p.PrivatePort, p.Type))
			continue
		}
		ip := "0.0.0.0"
		if p.IP.IsValid() {
			ip = p.IP.String()
		}
		out = append(out, fmt.Sprintf("%s:%d->%d/%s", ip, p.PublicPort, p.PrivatePort, p.Type))
	}
	return strings.Join(out, ", ")
}
