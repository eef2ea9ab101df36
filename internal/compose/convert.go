package compose

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// ImageName is the image a service runs: its image, or <project>-<service>
// for a service that is only built.
func ImageName(p *types.Project, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return p.Name + "-" + s.Name
}

// createOptions turns service s of p into the create request of its n-th
// container; extra networks beyond the first are returned for connect.
func createOptions(p *types.Project, s types.ServiceConfig, n int, hash string, oneoff bool) (client.ContainerCreateOptions, map[string]*network.EndpointSettings, error) {
	name := ContainerName(p.Name, s, n)
	cfg, err := containerConfig(p, s, n, hash, oneoff)
	if err != nil {
		return client.ContainerCreateOptions{}, nil, err
	}
	hc, err := hostConfig(p, s)
	if err != nil {
		return client.ContainerCreateOptions{}, nil, fmt.Errorf("service %q: %w", s.Name, err)
	}
	first, eps := endpoints(p, s, name, oneoff)
	nc := &network.NetworkingConfig{}
	if first != "" {
		hc.NetworkMode = container.NetworkMode(first)
		nc.EndpointsConfig = map[string]*network.EndpointSettings{first: eps[first]}
		delete(eps, first)
	}
	return client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc, NetworkingConfig: nc}, eps, nil
}

func containerConfig(p *types.Project, s types.ServiceConfig, n int, hash string, oneoff bool) (*container.Config, error) {
	labels := map[string]string{
		LabelProject: p.Name, LabelService: s.Name, LabelNumber: strconv.Itoa(n),
		LabelOneoff: pyBool(oneoff), LabelConfigHash: hash, LabelWorkingDir: p.WorkingDir,
		LabelConfigFiles: strings.Join(p.ComposeFiles, ","), LabelVersion: Version,
		LabelImage: ImageName(p, s), LabelDependsOn: dependsOnLabel(s),
	}
	for k, v := range s.Labels {
		labels[k] = v
	}
	cfg := &container.Config{
		Image: ImageName(p, s), Labels: labels, Hostname: s.Hostname, Domainname: s.DomainName,
		User: s.User, WorkingDir: s.WorkingDir, Env: environment(s.Environment),
		Cmd: []string(s.Command), Entrypoint: []string(s.Entrypoint),
		Tty: s.Tty, OpenStdin: s.StdinOpen, StopSignal: s.StopSignal,
		AttachStdout: true, AttachStderr: true,
	}
	if s.StopGracePeriod != nil {
		t := int(time.Duration(*s.StopGracePeriod).Seconds())
		cfg.StopTimeout = &t
	}
	exposed, err := exposedPorts(s)
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", s.Name, err)
	}
	cfg.ExposedPorts = exposed
	cfg.Healthcheck = healthcheck(s.HealthCheck)
	return cfg, nil
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// environment renders the resolved environment as KEY=VALUE, sorted;
// variables without a value are left out, as Docker Compose does.
func environment(m types.MappingWithEquals) []string {
	var env []string
	for k, v := range m {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	return env
}

func healthcheck(h *types.HealthCheckConfig) *container.HealthConfig {
	if h == nil {
		return nil
	}
	if h.Disable {
		return &container.HealthConfig{Test: []string{"NONE"}}
	}
	hc := &container.HealthConfig{Test: []string(h.Test)}
	dur := func(d *types.Duration) time.Duration {
		if d == nil {
			return 0
		}
		return time.Duration(*d)
	}
	hc.Interval, hc.Timeout = dur(h.Interval), dur(h.Timeout)
	hc.StartPeriod, hc.StartInterval = dur(h.StartPeriod), dur(h.StartInterval)
	if h.Retries != nil {
		hc.Retries = int(*h.Retries)
	}
	return hc
}

func exposedPorts(s types.ServiceConfig) (network.PortSet, error) {
	set := network.PortSet{}
	for _, e := range s.Expose {
		if !strings.Contains(e, "/") {
			e += "/tcp"
		}
		pr, err := network.ParsePortRange(e)
		if err != nil {
			return nil, fmt.Errorf("expose %q: %w", e, errdefs.ErrInvalidArgument)
		}
		for port := range pr.All() {
			set[port] = struct{}{}
		}
	}
	for _, pc := range s.Ports {
		port, err := network.ParsePort(fmt.Sprintf("%d/%s", pc.Target, proto(pc.Protocol)))
		if err != nil {
			return nil, fmt.Errorf("port %d: %w", pc.Target, errdefs.ErrInvalidArgument)
		}
		set[port] = struct{}{}
	}
	return set, nil
}

func proto(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}

func portBindings(s types.ServiceConfig) (network.PortMap, error) {
	pm := network.PortMap{}
	for _, pc := range s.Ports {
		port, err := network.ParsePort(fmt.Sprintf("%d/%s", pc.Target, proto(pc.Protocol)))
		if err != nil {
			return nil, fmt.Errorf("port %d: %w", pc.Target, errdefs.ErrInvalidArgument)
		}
		b := network.PortBinding{HostPort: pc.Published}
		if pc.HostIP != "" {
			if b.HostIP, err = netip.ParseAddr(pc.HostIP); err != nil {
				return nil, fmt.Errorf("port host_ip %q: %w", pc.HostIP, errdefs.ErrInvalidArgument)
			}
		}
		pm[port] = append(pm[port], b)
	}
	return pm, nil
}

// endpoints returns the networks a container joins (Docker names) with
// their aliases, and the one to create it on.
func endpoints(p *types.Project, s types.ServiceConfig, name string, oneoff bool) (string, map[string]*network.EndpointSettings) {
	if s.NetworkMode != "" {
		return "", nil
	}
	eps := map[string]*network.EndpointSettings{}
	first, firstPrio := "", -1<<31
	keys := make([]string, 0, len(s.Networks))
	for k := range s.Networks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		sn := s.Networks[key]
		netName := key
		if nc, ok := p.Networks[key]; ok && nc.Name != "" {
			netName = nc.Name
		}
		ep := &network.EndpointSettings{}
		if !oneoff {
			ep.Aliases = []string{name}
			if sn.ServiceNameAliasEnabled() {
				ep.Aliases = append(ep.Aliases, s.Name)
			}
		}
		prio := 0
		if sn != nil {
			ep.Aliases = append(ep.Aliases, sn.Aliases...)
			ep.GwPriority, prio = sn.GatewayPriority, sn.Priority
			if sn.Ipv4Address != "" || sn.Ipv6Address != "" {
				ep.IPAMConfig = &network.EndpointIPAMConfig{}
				ep.IPAMConfig.IPv4Address, _ = netip.ParseAddr(sn.Ipv4Address)
				ep.IPAMConfig.IPv6Address, _ = netip.ParseAddr(sn.Ipv6Address)
			}
		}
		eps[netName] = ep
		if prio > firstPrio {
			first, firstPrio = netName, prio
		}
	}
	return first, eps
}
