package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type statsOptions struct {
	all, noStream, noTrunc bool
	format                 string
}

func newStatsCommand(c *command.CLI) *cobra.Command {
	var o statsOptions
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), c, &o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	fs.BoolVar(&o.noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	fs.StringVar(&o.format, "format", "", formatHelp)
	return cmd
}

func runStats(ctx context.Context, c *command.CLI, o *statsOptions, names []string) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		res, err := api.ContainerList(ctx, client.ContainerListOptions{All: o.all})
		if err != nil {
			return err
		}
		for _, s := range res.Items {
			names = append(names, s.ID)
		}
	}
	tmpl := o.format
	if tmpl == "" || tmpl == format.TableKey {
		tmpl = format.StatsTable
	}
	if o.noStream {
		rows, err := statsOnce(ctx, api, names, !o.noTrunc)
		if err != nil {
			return err
		}
		return format.Write(c.Out, tmpl, format.StatsHeader{}, rows)
	}
	return statsStream(ctx, c, api, names, tmpl, !o.noTrunc)
}

// statsOnce asks for every container's sample at once (the daemon takes
// each over a short window) and returns the rows in the given order.
func statsOnce(ctx context.Context, api command.APIClient, names []string, trunc bool) ([]any, error) {
	rows := make([]any, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := api.ContainerStats(ctx, name, client.ContainerStatsOptions{IncludePreviousSample: true})
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			var s container.StatsResponse
			if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
				errs[i] = err
				return
			}
			rows[i] = format.NewStats(name, s, trunc)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rows, nil
}

// statsStream follows every container's stream and redraws the table
// each second until interrupted.
func statsStream(ctx context.Context, c *command.CLI, api command.APIClient, names []string, tmpl string, trunc bool) error {
	var mu sync.Mutex
	latest := map[string]format.Stats{}
	errc := make(chan error, len(names))
	for _, name := range names {
		res, err := api.ContainerStats(ctx, name, client.ContainerStatsOptions{Stream: true})
		if err != nil {
			return err
		}
		go func() {
			defer res.Body.Close()
			dec := json.NewDecoder(res.Body)
			for {
				var s container.StatsResponse
				if err := dec.Decode(&s); err != nil {
					if !errors.Is(err, io.EOF) && ctx.Err() == nil {
						errc <- err
					}
					return
				}
				mu.Lock()
				latest[name] = format.NewStats(name, s, trunc)
				mu.Unlock()
			}
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-tick.C:
		}
		mu.Lock()
		rows := make([]any, 0, len(names))
		for _, n := range names {
			if s, ok := latest[n]; ok {
				rows = append(rows, s)
			}
		}
		mu.Unlock()
		fmt.Fprint(c.Out, "\033[2J\033[H")
		if err := format.Write(c.Out, tmpl, format.StatsHeader{}, rows); err != nil {
			return err
		}
	}
}
