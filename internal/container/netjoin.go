package container

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/network"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	netapi "github.com/moby/moby/api/types/network"
)

// AttachRequest asks the Networker to connect a starting container to its
// network (and to the networks it was connected to with network connect).
type AttachRequest struct {
	ContainerID string
	Name        string
	// Network is "bridge" or a user network's name or ID.
	Network string
	// Endpoints are the per-network settings given at create
	// (--network-alias, --ip, --mac-address), by network name.
	Endpoints map[string]*netapi.EndpointSettings
	// Bandwidth caps the first interface in both directions, bit/s (0 = none).
	Bandwidth uint64
	// NetNSReady: the default bridge's netns was made by PrepareNetNS.
	NetNSReady bool
}

// LabelBandwidth is the container label that limits its bandwidth, e.g.
// --label berth.bandwidth=10mbit (units bit, kbit, mbit, gbit; k/m/g = 1000).
const LabelBandwidth = "berth.bandwidth"

// parseBandwidth parses a LabelBandwidth value into bit/s.
func parseBandwidth(s string) (uint64, error) {
	num := strings.TrimRightFunc(strings.ToLower(s), func(r rune) bool { return r >= 'a' && r <= 'z' })
	unit := strings.ToLower(s[len(num):])
	mult := map[string]uint64{"": 1, "bit": 1, "k": 1e3, "kbit": 1e3, "m": 1e6, "mbit": 1e6, "g": 1e9, "gbit": 1e9}[unit]
	v, err := strconv.ParseUint(num, 10, 64)
	if err != nil || mult == 0 || v == 0 {
		return 0, fmt.Errorf("invalid %s label %q (e.g. 10mbit): %w", LabelBandwidth, s, errdefs.ErrInvalidArgument)
	}
	return v * mult, nil
}

// isDefaultBridge reports whether mode selects the default bridge.
func isDefaultBridge(mode ctr.NetworkMode) bool {
	return mode == "" || mode == "default" || mode == "bridge"
}

// checkNetworkMode accepts the predefined modes and existing user networks
// (and checks links and the bandwidth label).
// Docker answers 404 for an unknown network, which makes the docker CLI
// retry as if the image were missing; 400 reports the real problem.
func (s *Service) checkNetworkMode(ctx context.Context, cfg *ctr.Config, hc *ctr.HostConfig) error {
	if v, ok := cfg.Labels[LabelBandwidth]; ok {
		if _, err := parseBandwidth(v); err != nil {
			return err
		}
	}
	mode := hc.NetworkMode
	switch {
	case isDefaultBridge(mode), mode.IsHost(), mode.IsNone():
		return s.checkLinks(hc.Links)
	case mode.IsContainer():
		if len(hc.PortBindings) > 0 || len(hc.Links) > 0 {
			return fmt.Errorf("conflicting options: port publishing or links with the container network mode: %w", errdefs.ErrInvalidArgument)
		}
		if _, err := s.store.get(mode.ConnectedContainer()); err != nil {
			// 400, not 404: a 404 makes the docker CLI pull the image.
			return fmt.Errorf("%s: %w", err.Error(), errdefs.ErrInvalidArgument)
		}
		return nil
	case strings.ContainsAny(string(mode), ":/"):
		return fmt.Errorf("invalid network mode %q: %w", mode, errdefs.ErrInvalidArgument)
	}
	if s.cfg.Network == nil {
		return fmt.Errorf("network %s not found: %w", mode, errdefs.ErrInvalidArgument)
	}
	if err := s.cfg.Network.CheckNetwork(ctx, string(mode)); err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("network %s not found: %w", mode, errdefs.ErrInvalidArgument)
		}
		return err
	}
	return nil
}

// attachRequest builds the Networker request of a starting container.
func attachRequest(c *Container) AttachRequest {
	mode := string(c.HostConfig.NetworkMode)
	if isDefaultBridge(c.HostConfig.NetworkMode) {
		mode = "bridge"
	}
	bw, _ := parseBandwidth(c.Config.Labels[LabelBandwidth]) // validated at create
	return AttachRequest{ContainerID: c.ID, Name: c.name(), Network: mode, Endpoints: c.EndpointsConfig, Bandwidth: bw}
}

// userNetworks adds the user networks c is a member of to an inspect or
// list document's Networks (the default bridge is filled in already).
func (s *Service) userNetworks(c *Container, running bool, into map[string]*netapi.EndpointSettings) {
	if s.cfg.Network == nil { // unit tests without networking
		return
	}
	for name, es := range s.cfg.Network.Networks(c.ID) {
		if !running {
			es.EndpointID, es.IPAddress, es.Gateway, es.IPPrefixLen, es.MacAddress = "", netip.Addr{}, netip.Addr{}, 0, nil
		}
		into[name] = es
	}
}

// customResolvConf applies --dns, --dns-search, --dns-option and, on a user
// network, the embedded DNS server on the gateway (listed first, so
// container names resolve; --dns servers follow).
func customResolvConf(c *Container, resolv []byte) []byte {
	if c.HostConfig.NetworkMode.IsHost() {
		return resolv
	}
	var ns []string
	if ep := c.network(); ep != nil && ep.DNS != "" {
		ns = append(ns, ep.DNS)
		if len(c.HostConfig.DNS) == 0 {
			// The embedded server forwards to the host's resolvers.
			return network.CustomizeResolvConf(resolv, ns, c.HostConfig.DNSSearch, c.HostConfig.DNSOptions)
		}
	}
	for _, a := range c.HostConfig.DNS {
		ns = append(ns, a.String())
	}
	return network.CustomizeResolvConf(resolv, ns, c.HostConfig.DNSSearch, c.HostConfig.DNSOptions)
}

// extraHosts is --add-host with "host-gateway" replaced by the gateway of
// the container's network (the host's address on its bridge).
func extraHosts(c *Container) []string {
	out := make([]string, 0, len(c.HostConfig.ExtraHosts))
	for _, h := range c.HostConfig.ExtraHosts {
		name, ip, ok := strings.Cut(h, ":")
		if !ok {
			name, ip, ok = strings.Cut(h, "=") // API clients may send name=ip
		}
		if ip == "host-gateway" {
			if ep := c.network(); ep != nil {
				ip = ep.Gateway
			}
		}
		if ok {
			out = append(out, name+":"+ip)
		}
	}
	return out
}
