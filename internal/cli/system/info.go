package system

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInfoCommand(c *command.CLI) *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInfo(cmd.Context(), c, tmpl, cmd.Root().PersistentFlags().Changed("debug"))
		},
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", "Format output using a custom template")
	return cmd
}

func runInfo(ctx context.Context, c *command.CLI, tmpl string, debug bool) error {
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	res, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return err
	}
	if tmpl != "" {
		return writeInspect(c.Out, tmpl, []object{{raw: mustJSON(res.Info), typed: res.Info}})
	}
	fmt.Fprintln(c.Out, "Client:")
	fmt.Fprintf(c.Out, " Version:    %s\n Context:    default\n Debug Mode: %t\n\n", currentClient("").Version, debug)
	writeServerInfo(c.Out, res.Info)
	for _, w := range res.Info.Warnings {
		fmt.Fprintln(c.Err, w)
	}
	return nil
}

// infoWriter prints docker info's "Key: value" lines, skipping empty values.
type infoWriter struct{ w io.Writer }

func (iw infoWriter) kv(indent int, key string, value any) {
	s := fmt.Sprint(value)
	if s == "" {
		return
	}
	fmt.Fprintf(iw.w, "%s%s: %s\n", strings.Repeat(" ", indent), key, s)
}

func (iw infoWriter) list(indent int, key string, values []string) {
	if len(values) == 0 {
		return
	}
	fmt.Fprintf(iw.w, "%s%s:\n", strings.Repeat(" ", indent), key)
	for _, v := range values {
		fmt.Fprintf(iw.w, "%s%s\n", strings.Repeat(" ", indent+1), v)
	}
}

// writeServerInfo renders the Server: section in docker info's order for
// the fields the daemon fills.
func writeServerInfo(w io.Writer, info system.Info) {
	iw := infoWriter{w}
	fmt.Fprintln(w, "Server:")
	iw.kv(1, "Containers", info.Containers)
	iw.kv(2, "Running", info.ContainersRunning)
	iw.kv(2, "Paused", info.ContainersPaused)
	iw.kv(2, "Stopped", info.ContainersStopped)
	iw.kv(1, "Images", info.Images)
	iw.kv(1, "Server Version", info.ServerVersion)
	iw.kv(1, "Storage Driver", info.Driver)
	for _, kv := range info.DriverStatus {
		iw.kv(2, kv[0], kv[1])
	}
	iw.kv(1, "Logging Driver", info.LoggingDriver)
	iw.kv(1, "Cgroup Driver", info.CgroupDriver)
	iw.kv(1, "Cgroup Version", info.CgroupVersion)
	writePlugins(iw, info.Plugins)
	iw.kv(1, "Swarm", info.Swarm.LocalNodeState)
	if len(info.Runtimes) > 0 {
		iw.kv(1, "Runtimes", strings.Join(slices.Sorted(maps.Keys(info.Runtimes)), " "))
	}
	iw.kv(1, "Default Runtime", info.DefaultRuntime)
	iw.kv(1, "Init Binary", info.InitBinary)
	iw.kv(1, "runc version", info.RuncCommit.ID)
	iw.list(1, "Security Options", info.SecurityOptions)
	iw.kv(1, "Kernel Version", info.KernelVersion)
	iw.kv(1, "Operating System", info.OperatingSystem)
	iw.kv(1, "OSType", info.OSType)
	iw.kv(1, "Architecture", info.Architecture)
	iw.kv(1, "CPUs", info.NCPU)
	if info.MemTotal > 0 {
		iw.kv(1, "Total Memory", units.BytesSize(float64(info.MemTotal)))
	}
	iw.kv(1, "Name", info.Name)
	iw.kv(1, "ID", info.ID)
	iw.kv(1, "Docker Root Dir", info.DockerRootDir)
	iw.kv(1, "Debug Mode", info.Debug)
	iw.list(1, "Labels", info.Labels)
	iw.kv(1, "Experimental", info.ExperimentalBuild)
	writeRegistries(iw, info)
	iw.kv(1, "Live Restore Enabled", info.LiveRestoreEnabled)
	fmt.Fprintln(w)
}

func writePlugins(iw infoWriter, p system.PluginsInfo) {
	if len(p.Volume)+len(p.Network)+len(p.Log) == 0 {
		return
	}
	fmt.Fprintln(iw.w, " Plugins:")
	iw.kv(2, "Volume", strings.Join(p.Volume, " "))
	iw.kv(2, "Network", strings.Join(p.Network, " "))
	iw.kv(2, "Log", strings.Join(p.Log, " "))
}

func writeRegistries(iw infoWriter, info system.Info) {
	if info.RegistryConfig == nil {
		return
	}
	var cidrs []string
	for _, p := range info.RegistryConfig.InsecureRegistryCIDRs {
		cidrs = append(cidrs, p.String())
	}
	iw.list(1, "Insecure Registries", cidrs)
	iw.list(1, "Registry Mirrors", info.RegistryConfig.Mirrors)
}
