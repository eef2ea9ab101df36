package system

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/format"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// rfc3339NanoFixed is docker's event time layout (fixed-width nanoseconds).
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

type eventsOptions struct {
	since, until, format string
	filters              []string
}

func newEventsCommand(c *command.CLI) *cobra.Command {
	var o eventsOptions
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvents(cmd.Context(), c, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.since, "since", "", "Show all events created since timestamp")
	fs.StringVar(&o.until, "until", "", "Stream events until this timestamp")
	command.StringListVarP(fs, &o.filters, "filter", "f", "Filter output based on conditions provided")
	fs.StringVar(&o.format, "format", "", "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.")
	return cmd
}

func runEvents(ctx context.Context, c *command.CLI, o eventsOptions) error {
	f, err := command.ParseFilters(o.filters)
	if err != nil {
		return err
	}
	show, err := eventPrinter(o.format)
	if err != nil {
		return err
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := api.Events(ctx, client.EventsListOptions{Since: o.since, Until: o.until, Filters: f})
	for {
		select {
		case m := <-res.Messages:
			if err := show(c.Out, m); err != nil {
				return err
			}
		case err := <-res.Err:
			if err == nil || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// eventPrinter returns docker's default line printer, or one for --format
// ("json" or a Go template over the event message).
func eventPrinter(text string) (func(io.Writer, events.Message) error, error) {
	if text == "" {
		return printEvent, nil
	}
	if text == format.JSONKey {
		text = "{{json .}}"
	}
	tmpl, err := format.Parse(text)
	if err != nil {
		return nil, command.InvalidArgument("template parsing error: %v", err)
	}
	return func(w io.Writer, m events.Message) error { return execLine(w, tmpl, m) }, nil
}

func execLine(w io.Writer, tmpl *template.Template, m events.Message) error {
	if err := tmpl.Execute(w, m); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}

// printEvent writes docker's default event line:
// <time> <type> <action> <id> (k=v, …) with attributes sorted by key.
func printEvent(w io.Writer, m events.Message) error {
	var b strings.Builder
	switch {
	case m.TimeNano != 0:
		b.WriteString(time.Unix(0, m.TimeNano).Format(rfc3339NanoFixed) + " ")
	case m.Time != 0:
		b.WriteString(time.Unix(m.Time, 0).Format(rfc3339NanoFixed) + " ")
	}
	fmt.Fprintf(&b, "%s %s %s", m.Type, m.Action, m.Actor.ID)
	if len(m.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(m.Actor.Attributes))
		for k := range m.Actor.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		attrs := make([]string, len(keys))
		for i, k := range keys {
			attrs[i] = k + "=" + m.Actor.Attributes[k]
		}
		b.WriteString(" (" + strings.Join(attrs, ", ") + ")")
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
