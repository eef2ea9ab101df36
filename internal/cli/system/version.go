package system

import (
	"context"
	"fmt"
	"github.com/berth-engine/berth/internal/cli/format"
	"io"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// Version is berth's release version; the build may set it with
// -ldflags "-X github.com/berth-engine/berth/internal/cli/system.Version=…".
var Version = ""

func newVersionCommand(c *command.CLI) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the Berth version information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "" {
				return runVersionFormat(cmd.Context(), c, format)
			}
			return runVersion(cmd.Context(), c)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return cmd
}

// versionDoc is what --format templates see, shaped like docker's:
// {{.Client.Version}}, {{.Server.APIVersion}}, {{json .}}.
type versionDoc struct {
	Client clientInfo
	Server *client.ServerVersionResult
}

func runVersionFormat(ctx context.Context, c *command.CLI, text string) error {
	tmpl, err := format.Parse(text)
	if err != nil {
		return command.InvalidArgument("template parsing error: %v", err)
	}
	doc := versionDoc{Client: currentClient(client.MaxAPIVersion)}
	api, err := c.Client(ctx)
	if err == nil {
		doc.Client = currentClient(api.ClientVersion())
		var sv client.ServerVersionResult
		if sv, err = api.ServerVersion(ctx, client.ServerVersionOptions{}); err == nil {
			doc.Server = &sv
		}
	}
	if terr := tmpl.Execute(c.Out, doc); terr != nil {
		return terr
	}
	fmt.Fprintln(c.Out)
	return err
}

// clientInfo is what the Client: section shows.
type clientInfo struct {
	Version, APIVersion, GoVersion, GitCommit, Built, OsArch string
}

func currentClient(apiVersion string) clientInfo {
	ci := clientInfo{Version: Version, APIVersion: apiVersion, GoVersion: runtime.Version(),
		OsArch: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ci.Version == "" && bi.Main.Version != "(devel)" {
			ci.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				ci.GitCommit = s.Value[:min(7, len(s.Value))]
			case "vcs.time":
				ci.Built = buildTime(s.Value)
			}
		}
	}
	if ci.Version == "" {
		ci.Version = "dev"
	}
	return ci
}

func buildTime(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.Format(time.ANSIC)
}

func runVersion(ctx context.Context, c *command.CLI) error {
	api, err := c.Client(ctx)
	if err != nil {
		writeClientVersion(c.Out, currentClient(client.MaxAPIVersion))
		return err
	}
	sv, serr := api.ServerVersion(ctx, client.ServerVersionOptions{})
	writeClientVersion(c.Out, currentClient(api.ClientVersion()))
	if serr != nil {
		return serr
	}
	fmt.Fprintln(c.Out)
	writeServerVersion(c.Out, sv)
	return nil
}

func writeClientVersion(w io.Writer, ci clientInfo) {
	fmt.Fprintln(w, "Client:")
	for _, kv := range [][2]string{
		{"Version", ci.Version}, {"API version", ci.APIVersion}, {"Go version", ci.GoVersion},
		{"Git commit", ci.GitCommit}, {"Built", ci.Built}, {"OS/Arch", ci.OsArch}, {"Context", "default"},
	} {
		if kv[1] != "" {
			fmt.Fprintf(w, " %-19s%s\n", kv[0]+":", kv[1])
		}
	}
}

// writeServerVersion prints the Server: section: the Engine component with
// docker's fixed fields, then every other component's version and details.
func writeServerVersion(w io.Writer, sv client.ServerVersionResult) {
	name := sv.Platform.Name
	if name == "" {
		name = "Berth Engine"
	}
	fmt.Fprintf(w, "Server: %s\n", name)
	comps := sv.Components
	if len(comps) == 0 {
		comps = []system.ComponentVersion{{Name: "Engine", Version: sv.Version}}
	}
	for _, comp := range comps {
		fmt.Fprintf(w, " %s:\n", comp.Name)
		if comp.Name == "Engine" {
			writeEngine(w, sv, comp)
			continue
		}
		line(w, "Version", comp.Version)
		for _, k := range slices.Sorted(maps.Keys(comp.Details)) {
			line(w, k, comp.Details[k])
		}
	}
}

func writeEngine(w io.Writer, sv client.ServerVersionResult, comp system.ComponentVersion) {
	d := comp.Details
	api := sv.APIVersion
	if sv.MinAPIVersion != "" {
		api += fmt.Sprintf(" (minimum version %s)", sv.MinAPIVersion)
	}
	osArch := sv.Os + "/" + sv.Arch
	if d["Os"] != "" {
		osArch = d["Os"] + "/" + d["Arch"]
	}
	line(w, "Version", comp.Version)
	line(w, "API version", api)
	line(w, "Go version", d["GoVersion"])
	line(w, "Git commit", d["GitCommit"])
	line(w, "Built", d["BuildTime"])
	line(w, "OS/Arch", strings.Trim(osArch, "/"))
	line(w, "Experimental", fmt.Sprint(sv.Experimental))
}

func line(w io.Writer, key, value string) {
	if value == "" {
		return
	}
	fmt.Fprintf(w, "  %-18s%s\n", key+":", value)
}
