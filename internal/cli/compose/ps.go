package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type psOptions struct {
	all, quiet, services, orphans bool
	format, filter                string
	status                        []string
}

func newPsCommand(c *command.CLI, po *projectOptions) *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPs(cmd.Context(), c, po, o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "Show all stopped containers (including those created by the run command)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only display IDs")
	fs.BoolVar(&o.services, "services", false, "Display services")
	fs.BoolVar(&o.orphans, "orphans", true, "Include orphaned services (not declared by project)")
	fs.StringVar(&o.format, "format", "table", "Format the output: table or json")
	fs.StringVar(&o.filter, "filter", "", "Filter services by a property (supported filters: status)")
	command.StringListVar(fs, &o.status, "status", "Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]")
	return cmd
}

func runPs(ctx context.Context, c *command.CLI, po *projectOptions, o psOptions, services []string) error {
	if err := o.parseFilter(); err != nil {
		return err
	}
	name, p, err := po.projectName(ctx)
	if err != nil {
		return err
	}
	if services, err = psServices(p, services, o.orphans); err != nil {
		return err
	}
	svc, err := service(ctx, c)
	if err != nil {
		return err
	}
	ctrs, err := svc.Ps(ctx, name, o.all || len(o.status) > 0, services...)
	if err != nil {
		return err
	}
	ctrs = filterStatus(ctrs, o.status)
	sort.SliceStable(ctrs, func(i, j int) bool { return first(ctrs[i].Names) < first(ctrs[j].Names) })
	switch {
	case o.quiet:
		for _, ctr := range ctrs {
			fmt.Fprintln(c.Out, ctr.ID)
		}
	case o.services:
		printServices(c.Out, ctrs)
	case o.format == "json":
		api, err := c.Client(ctx)
		if err != nil {
			return err
		}
		return printPsJSON(ctx, c.Out, api, ctrs)
	case o.format == "table" || o.format == "":
		printPs(c.Out, ctrs)
	default:
		return command.InvalidArgument("unsupported --format %q: want table or json", o.format)
	}
	return nil
}

// parseFilter folds --filter status=X into --status.
func (o *psOptions) parseFilter() error {
	if o.filter == "" {
		return nil
	}
	key, val, ok := strings.Cut(o.filter, "=")
	if !ok {
		return command.InvalidArgument("arguments to --filter should be in form KEY=VAL")
	}
	if key != "status" {
		return command.InvalidArgument("unknown filter %s", key)
	}
	o.status = append(o.status, val)
	return nil
}

// psServices checks the services asked for against the project (when its
// files load); without --orphans only the services it declares are listed.
func psServices(p *types.Project, services []string, orphans bool) ([]string, error) {
	if p == nil {
		return services, nil
	}
	for _, s := range services {
		if _, ok := p.Services[s]; !ok {
			return nil, command.NotFound("no such service: %s", s)
		}
	}
	if len(services) == 0 && !orphans {
		return p.ServiceNames(), nil
	}
	return services, nil
}

func filterStatus(ctrs []container.Summary, status []string) []container.Summary {
	if len(status) == 0 {
		return ctrs
	}
	var out []container.Summary
	for _, ctr := range ctrs {
		if slices.Contains(status, string(ctr.State)) {
			out = append(out, ctr)
		}
	}
	return out
}

func printServices(out io.Writer, ctrs []container.Summary) {
	var names []string
	for _, ctr := range ctrs {
		if s := ctr.Labels[compose.LabelService]; !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	fmt.Fprintln(out, strings.Join(names, "\n"))
}

func printPs(out io.Writer, ctrs []container.Summary) {
	tw := tabwriter.NewWriter(out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS")
	for _, ctr := range ctrs {
		name := strings.TrimPrefix(first(ctr.Names), "/")
		fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%s\t%s\t%s\n", name, ctr.Image, truncate(ctr.Command, 20),
			ctr.Labels[compose.LabelService], runningFor(ctr), ctr.Status, ports(ctr.Ports))
	}
	_ = tw.Flush()
}

func runningFor(ctr container.Summary) string {
	return units.HumanDuration(time.Since(time.Unix(ctr.Created, 0))) + " ago"
}

// printPsJSON writes one JSON object per container, with the fields (and
// their rendering) of docker compose ps --format json.
func printPsJSON(ctx context.Context, out io.Writer, api client.APIClient, ctrs []container.Summary) error {
	enc := json.NewEncoder(out)
	for _, ctr := range ctrs {
		health, exit := "", 0
		if res, err := api.ContainerInspect(ctx, ctr.ID, client.ContainerInspectOptions{}); err == nil && res.Container.State != nil {
			st := res.Container.State
			switch st.Status {
			case container.StateRunning:
				if st.Health != nil {
					health = string(st.Health.Status)
				}
			case container.StateExited, container.StateDead:
				exit = st.ExitCode
			}
		}
		if err := enc.Encode(psObject(ctr, health, exit)); err != nil {
			return err
		}
	}
	return nil
}

// publisher is one entry of Publishers in ps --format json.
type publisher struct {
	URL           string
	TargetPort    int
	PublishedPort int
	Protocol      string
}

func psObject(ctr container.Summary, health string, exit int) map[string]any {
	name := strings.TrimPrefix(first(ctr.Names), "/")
	pubs := []publisher{}
	ps := slices.Clone(ctr.Ports)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].PrivatePort < ps[j].PrivatePort })
	for _, p := range ps {
		url := ""
		if p.IP.IsValid() {
			url = p.IP.String()
		}
		pubs = append(pubs, publisher{URL: url, TargetPort: int(p.PrivatePort), PublishedPort: int(p.PublicPort), Protocol: string(p.Type)})
	}
	var labels, mounts, networks []string
	for k, v := range ctr.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	local := 0
	for _, m := range ctr.Mounts {
		n := m.Name
		if n == "" {
			n = m.Source
		}
		if m.Driver == "local" {
			local++
		}
		mounts = append(mounts, n)
	}
	if ctr.NetworkSettings != nil {
		for k := range ctr.NetworkSettings.Networks {
			networks = append(networks, k)
		}
		sort.Strings(networks)
	}
	return map[string]any{
		"ID": ctr.ID[:min(12, len(ctr.ID))], "Name": name, "Names": name, "Image": ctr.Image,
		"Command": strconv.Quote(truncate(ctr.Command, 20)), "Project": ctr.Labels[compose.LabelProject],
		"Service": ctr.Labels[compose.LabelService], "CreatedAt": time.Unix(ctr.Created, 0).String(),
		"RunningFor": runningFor(ctr), "State": string(ctr.State), "Status": ctr.Status, "Health": health,
		"ExitCode": exit, "Publishers": pubs, "Ports": ports(ctr.Ports), "Labels": strings.Join(labels, ","),
		"Mounts": strings.Join(mounts, ","), "LocalVolumes": strconv.Itoa(local), "Networks": strings.Join(networks, ","),
		"Size": units.HumanSizeWithPrecision(float64(ctr.SizeRw), 3),
	}
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
