package container

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/docker/go-units"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
)

const zeroTime = "0001-01-01T00:00:00Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Inspect returns the Docker inspect document of c.
func (s *Service) Inspect(c *Container) ctr.InspectResponse {
	st := c.snapshot()
	stateStatus := st.display()
	return ctr.InspectResponse{
		ID: c.ID, Created: fmtTime(c.Created), Path: c.Path, Args: nonNil(c.Args),
		State: &ctr.State{
			Status: stateStatus, Running: st.Running() || st.Status == ctr.StateRestarting, Paused: st.isPaused(), OOMKilled: st.OOMKilled,
			Restarting: st.Status == ctr.StateRestarting, Health: st.Health,
			Dead: st.Status == ctr.StateDead, Pid: st.Pid, ExitCode: st.ExitCode, Error: st.Error,
			StartedAt: fmtTime(st.StartedAt), FinishedAt: fmtTime(st.FinishedAt),
		},
		Image: c.ImageID, ResolvConfPath: c.ResolvPath, HostnamePath: c.HostnamePath,
		HostsPath: c.HostsPath, LogPath: c.LogPath, Name: "/" + c.name(),
		RestartCount: restartCount(c), Driver: c.Driver, Platform: "linux",
		ExecIDs: s.execIDs(c.ID), HostConfig: c.hostConfig(),
		GraphDriver: &storage.DriverData{Name: c.Driver, Data: map[string]string{
			"UpperDir":  s.dataDir(c.ID) + "/upper",
			"WorkDir":   s.dataDir(c.ID) + "/work",
			"MergedDir": s.dataDir(c.ID) + "/rootfs",
		}},
		Mounts:          apiMounts(c),
		Config:          c.Config,
		NetworkSettings: s.networkSettings(c, st),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Service) networkSettings(c *Container, st State) *ctr.NetworkSettings {
	ns := &ctr.NetworkSettings{Ports: network.PortMap{}, Networks: map[string]*network.EndpointSettings{}}
	if st.Running() {
		ns.Ports = portMap(c, c.network())
	}
	name := networkName(c)
	ep := &network.EndpointSettings{NetworkID: name}
	if n := c.network(); n != nil && st.Running() {
		ns.SandboxKey = n.NetNSPath
		ns.SandboxID = c.ID
		ep.EndpointID = c.ID
		ep.IPAddress, _ = netip.ParseAddr(n.IP)
		ep.Gateway, _ = netip.ParseAddr(n.Gateway)
		ep.IPPrefixLen = n.PrefixLen
		if mac, err := parseMAC(n.MAC); err == nil {
			ep.MacAddress = mac
		}
		if ip6, err := netip.ParseAddr(n.IP6); err == nil {
			ep.GlobalIPv6Address, ep.GlobalIPv6PrefixLen = ip6, n.PrefixLen6
			ep.IPv6Gateway, _ = netip.ParseAddr(n.Gateway6)
		}
	}
	ns.Networks[name] = ep
	s.userNetworks(c, st.Running(), ns.Networks)
	return ns
}

func parseMAC(s string) (network.HardwareAddr, error) {
	var m network.HardwareAddr
	err := m.UnmarshalText([]byte(s))
	return m, err
}

// Summary returns the GET /containers/json entry of c.
func (s *Service) Summary(c *Container) ctr.Summary {
	st := c.snapshot()
	sum := ctr.Summary{
		ID: c.ID, Names: []string{"/" + c.name()}, Image: c.Config.Image, ImageID: c.ImageID,
		Command: commandString(c), Created: c.Created.Unix(), Ports: []ctr.PortSummary{},
		Labels: c.Config.Labels, State: st.display(), Status: statusString(st),
		Mounts: apiMounts(c),
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	sum.HostConfig.NetworkMode = networkName(c)
	if st.Running() {
		sum.Ports = portSummaries(c, c.network())
	}
	sum.NetworkSettings = &ctr.NetworkSettingsSummary{Networks: s.networkSettings(c, st).Networks}
	return sum
}

func commandString(c *Container) string {
	parts := append([]string{c.Path}, c.Args...)
	return strings.Join(parts, " ")
}

// statusString is Docker's human status: "Up 3 seconds", "Exited (0) 2
// minutes ago", "Created".
func statusString(st State) string {
	switch st.Status {
	case ctr.StateRunning:
		if st.isPaused() {
			return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + " (Paused)"
		}
		return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + healthSuffix(st)
	case ctr.StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, units.HumanDuration(time.Since(st.FinishedAt)))
	case ctr.StateExited:
		if st.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", st.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, units.HumanDuration(time.Since(st.FinishedAt)))
	case ctr.StateRemoving:
		return "Removal In Progress"
	case ctr.StateDead:
		return "Dead"
	default:
		return "Created"
	}
}
