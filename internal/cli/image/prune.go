package image

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	pruneDanglingWarning = "WARNING! This will remove all dangling images."
	pruneAllWarning      = "WARNING! This will remove all images without at least one container associated to them."
)

type pruneOptions struct {
	all, force bool
	filters    []string
}

func newPruneCommand(c *command.CLI) *cobra.Command {
	var o pruneOptions
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrune(cmd.Context(), c, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "Remove all unused images, not just dangling ones")
	fs.BoolVarP(&o.force, "force", "f", false, "Do not prompt for confirmation")
	command.StringListVar(fs, &o.filters, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func runPrune(ctx context.Context, c *command.CLI, o pruneOptions) error {
	filters, err := command.ParseFilters(o.filters)
	if err != nil {
		return err
	}
	warning := pruneDanglingWarning
	if o.all {
		warning = pruneAllWarning
		filters.Add("dangling", "false")
	} else {
		filters.Add("dangling", "true")
	}
	if !o.force && !confirm(c, warning+"\nAre you sure you want to continue?") {
		return nil
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.ImagePrune(ctx, client.ImagePruneOptions{Filters: filters})
	if err != nil {
		return err
	}
	if len(res.Report.ImagesDeleted) > 0 {
		var b strings.Builder
		b.WriteString("Deleted Images:\n")
		for _, d := range res.Report.ImagesDeleted {
			if d.Untagged != "" {
				fmt.Fprintf(&b, "untagged: %s\n", d.Untagged)
			} else {
				fmt.Fprintf(&b, "deleted: %s\n", d.Deleted)
			}
		}
		fmt.Fprintln(c.Out, b.String())
	}
	fmt.Fprintln(c.Out, "Total reclaimed space:", units.HumanSize(float64(res.Report.SpaceReclaimed)))
	return nil
}

// confirm asks question on the terminal; anything but y/yes is a no.
func confirm(c *command.CLI, question string) bool {
	fmt.Fprintf(c.Out, "%s [y/N] ", question)
	if c.In == nil {
		return false
	}
	line, _ := bufio.NewReader(c.In).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
