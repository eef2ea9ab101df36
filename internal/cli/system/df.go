package system

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// NewSystemCommand returns `berth system` (df; info and events where they
// are served).
func NewSystemCommand(c *command.CLI) *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage Berth", Args: command.NoArgs}
	cmd.AddCommand(newDFCommand(c), newInfoCommand(c))
	return cmd
}

func newDFCommand(c *command.CLI) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show docker disk usage",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDF(cmd.Context(), c, verbose)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	return cmd
}

func runDF(ctx context.Context, c *command.CLI, verbose bool) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	du, err := api.DiskUsage(ctx, client.DiskUsageOptions{Images: true, Containers: true, Volumes: true, BuildCache: true, Verbose: verbose})
	if err != nil {
		return err
	}
	if verbose {
		return writeDFVerbose(c.Out, du, time.Now())
	}
	tw := tabwriter.NewWriter(c.Out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
	img, ctn := du.Images, du.Containers
	fmt.Fprintf(tw, "Images\t%d\t%d\t%s\t%s\n", img.TotalCount, img.ActiveCount, units.HumanSize(float64(img.TotalSize)), reclaimable(img.Reclaimable, img.TotalSize))
	fmt.Fprintf(tw, "Containers\t%d\t%d\t%s\t%s\n", ctn.TotalCount, ctn.ActiveCount, units.HumanSize(float64(ctn.TotalSize)), reclaimable(ctn.Reclaimable, ctn.TotalSize))
	v := du.Volumes
	fmt.Fprintf(tw, "Local Volumes\t%d\t%d\t%s\t%s\n", v.TotalCount, v.ActiveCount, units.HumanSize(float64(v.TotalSize)), reclaimable(v.Reclaimable, v.TotalSize))
	b := du.BuildCache
	fmt.Fprintf(tw, "Build Cache\t%d\t%d\t%s\t%s\n", b.TotalCount, b.ActiveCount, units.HumanSize(float64(b.TotalSize)), units.HumanSize(float64(b.Reclaimable)))
	return tw.Flush()
}

// reclaimable is docker's "1.2MB (50%)".
func reclaimable(n, total int64) string {
	if total > 0 {
		return fmt.Sprintf("%s (%d%%)", units.HumanSize(float64(n)), n*100/total)
	}
	return units.HumanSize(float64(n))
}

func writeDFVerbose(out io.Writer, du client.DiskUsageResult, now time.Time) error {
	fmt.Fprintln(out, "Images space usage:")
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS")
	for _, r := range format.ImageRows(du.Images.Items, false, true, now) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository(), r.Tag(), r.ID(), r.CreatedSince(), r.Size(), r.SharedSize(), r.UniqueSize(), r.Containers())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nContainers space usage:")
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES")
	for _, s := range du.Containers.Items {
		r := format.NewContainer(s, true, now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.ID(), r.Image(), r.Command(), len(s.Mounts), units.HumanSize(float64(s.SizeRw)), r.RunningFor(), r.Status(), r.Names())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nLocal Volumes space usage:")
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "VOLUME NAME\tLINKS\tSIZE")
	for _, v := range du.Volumes.Items {
		var links, size int64
		if v.UsageData != nil {
			links, size = v.UsageData.RefCount, v.UsageData.Size
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", v.Name, links, units.HumanSize(float64(size)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nBuild cache usage: 0B")
	return nil
}
