package container

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// PublishedPort is one port published on the host: a request (HostPort 0
// = any free port) or, in Endpoint.Ports, what was actually bound.
type PublishedPort struct {
	Proto         string // "tcp" or "udp"
	HostIP        string // "" = every host address
	HostPort      uint16
	ContainerPort uint16
}

// validatePortBindings rejects what the docker CLI would refuse to send
// (API clients can send anything): bad host IPs and host ports. Published
// ports need the container's own network namespace.
func validatePortBindings(hc *ctr.HostConfig) error {
	for port, bindings := range hc.PortBindings {
		if !port.IsValid() || port.Num() == 0 {
			return fmt.Errorf("invalid port specification: %q: %w", port.String(), errdefs.ErrInvalidArgument)
		}
		for _, b := range bindings {
			if _, err := parseHostPort(b.HostPort); err != nil {
				return err
			}
			if b.HostIP.Is4In6() { // IPv6 host addresses need a network with IPv6 (checked at start)
				return fmt.Errorf("invalid host IP %s for port %s: use the IPv4 form: %w", b.HostIP, port, errdefs.ErrInvalidArgument)
			}
		}
	}
	mode := hc.NetworkMode
	if (len(hc.PortBindings) > 0 || hc.PublishAllPorts) && (mode.IsHost() || mode.IsNone() || mode.IsContainer()) {
		if mode.IsHost() {
			return nil // Docker ignores published ports in host mode (with a warning)
		}
		return fmt.Errorf("conflicting options: port publishing and the container type network mode: %w", errdefs.ErrInvalidArgument)
	}
	return nil
}

// parseHostPort parses a binding's host port: "" or "0" is any port; a
// range "8000-8010" takes its first port (the CLI expands ranges itself).
func parseHostPort(s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	if lo, _, ok := cutRange(s); ok {
		s = lo
	}
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid host port %q: %w", s, errdefs.ErrInvalidArgument)
	}
	return uint16(v), nil
}

func cutRange(s string) (string, string, bool) {
	for i := 1; i < len(s); i++ {
		if s[i] == '-' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// mergeExposedPorts adds the image's EXPOSE ports to the container's.
func mergeExposedPorts(user network.PortSet, image map[string]struct{}) network.PortSet {
	if len(image) == 0 {
		return user
	}
	out := network.PortSet{}
	for p := range user {
		out[p] = struct{}{}
	}
	for s := range image {
		if p, err := network.ParsePort(s); err == nil {
			out[p] = struct{}{}
		}
	}
	return out
}

// portRequests lists the ports to publish at start: the bindings of -p,
// and with -P every exposed port not bound explicitly, on a random port.
func portRequests(c *Container) ([]PublishedPort, error) {
	hc := c.HostConfig
	var reqs []PublishedPort
	for _, port := range sortedPorts(hc.PortBindings) {
		for _, b := range hc.PortBindings[port] {
			hp, err := parseHostPort(b.HostPort)
			if err != nil {
				return nil, err
			}
			reqs = append(reqs, PublishedPort{Proto: string(port.Proto()), HostIP: hostIP(b.HostIP), HostPort: hp, ContainerPort: port.Num()})
		}
	}
	if hc.PublishAllPorts {
		for p := range c.Config.ExposedPorts {
			if _, bound := hc.PortBindings[p]; !bound {
				reqs = append(reqs, PublishedPort{Proto: string(p.Proto()), ContainerPort: p.Num()})
			}
		}
	}
	slices.SortStableFunc(reqs, func(a, b PublishedPort) int {
		return cmp.Or(cmp.Compare(a.ContainerPort, b.ContainerPort), cmp.Compare(a.Proto, b.Proto))
	})
	return reqs, nil
}

// hostIP is "" (every address, of both families on a network with IPv6)
// when the binding has none; 0.0.0.0 and :: select one family, as in Docker.
func hostIP(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func sortedPorts[V any](m map[network.Port]V) []network.Port {
	out := make([]network.Port, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b network.Port) int {
		return cmp.Or(cmp.Compare(a.Num(), b.Num()), cmp.Compare(a.Proto(), b.Proto()))
	})
	return out
}

// portMap is NetworkSettings.Ports of a running container: every exposed
// or published port, with its host bindings (null when only exposed).
func portMap(c *Container, ep *Endpoint) network.PortMap {
	pm := network.PortMap{}
	if ep == nil {
		return pm
	}
	for p := range c.Config.ExposedPorts {
		pm[p] = nil
	}
	for _, pp := range ep.Ports {
		p, ok := network.PortFrom(pp.ContainerPort, network.IPProtocol(pp.Proto))
		if !ok {
			continue
		}
		pm[p] = append(pm[p], network.PortBinding{HostIP: bindingIP(pp.HostIP), HostPort: strconv.Itoa(int(pp.HostPort))})
	}
	return pm
}

func bindingIP(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a
	}
	return netip.IPv4Unspecified()
}

// portSummaries is the Ports list of GET /containers/json: published ports
// with their host side, exposed-only ports without.
func portSummaries(c *Container, ep *Endpoint) []ctr.PortSummary {
	out := []ctr.PortSummary{}
	if ep == nil {
		return out
	}
	published := map[network.Port]bool{}
	for _, pp := range ep.Ports {
		if p, ok := network.PortFrom(pp.ContainerPort, network.IPProtocol(pp.Proto)); ok {
			published[p] = true
		}
		out = append(out, ctr.PortSummary{IP: bindingIP(pp.HostIP), PrivatePort: pp.ContainerPort, PublicPort: pp.HostPort, Type: pp.Proto})
	}
	for _, p := range sortedPorts(c.Config.ExposedPorts) {
		if !published[p] {
			out = append(out, ctr.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	return out
}

// publishPorts publishes c's ports on the endpoint just attached and
// records the host ports bound in ep.
func (s *Service) publishPorts(ctx context.Context, c *Container, ep *Endpoint) error {
	reqs, err := portRequests(c)
	if err != nil || len(reqs) == 0 {
		return err
	}
	got, err := s.cfg.Network.Publish(ctx, c.ID, reqs)
	if err != nil {
		return fmt.Errorf("driver failed programming external connectivity on endpoint %s (%s): %w", c.name(), c.ID, err)
	}
	ep.Ports = got
	return nil
}
