package daemon

import (
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/network/bridge"
	"github.com/berth-engine/berth/internal/network/manager"
	"github.com/containerd/errdefs"
	netapi "github.com/moby/moby/api/types/network"
)

// netAdapter presents the default bridge and the user networks as the
// container service's Networker.
type netAdapter struct {
	def  *bridge.Network
	nets *manager.Manager
}

// Attach connects a starting container to its network (creating its
// netns), then to every network it was connected to while stopped.
// PrepareNetNS makes the default bridge's netns for containerID.
func (a netAdapter) PrepareNetNS(ctx context.Context, containerID string) (string, error) {
	return a.def.PrepareNetNS(ctx, containerID)
}

func (a netAdapter) Attach(ctx context.Context, req container.AttachRequest) (_ *container.Endpoint, retErr error) {
	var cep *container.Endpoint
	opts := endpointOptions(req.Endpoints, req.Network)
	if req.Network == "bridge" {
		if _, ok := req.Endpoints["bridge"]; !ok {
			opts = endpointOptions(req.Endpoints, "default") // the docker CLI's key without --network
		}
		ep, err := a.def.AttachWith(ctx, req.ContainerID, bridge.AttachOptions{IP: opts.IP, MAC: opts.MAC, NetNSReady: req.NetNSReady})
		if err != nil {
			return nil, err
		}
		cep = toEndpoint(a.def.Name(), ep)
		if err := a.limit(ctx, a.def, ep, req); err != nil {
			return nil, err
		}
	} else {
		att, err := a.nets.Attach(ctx, req.Network, manager.Container{ID: req.ContainerID, Name: req.Name}, opts)
		if err != nil {
			return nil, err
		}
		cep = toEndpoint(att.Bridge, att.Endpoint)
		cep.Network, cep.DNS = att.NetworkName, att.Endpoint.Gateway.String()
		if err := a.limit(ctx, a.nets.Bridge(att.Bridge), att.Endpoint, req); err != nil {
			return nil, err
		}
	}
	defer func() {
		if retErr != nil {
			_ = a.Detach(context.WithoutCancel(ctx), req.ContainerID)
		}
	}()
	if _, err := a.nets.JoinPending(ctx, manager.Container{ID: req.ContainerID, Name: req.Name}, cep.NetNSPath); err != nil {
		return nil, err
	}
	return cep, nil
}

func toEndpoint(bridgeName string, ep *bridge.Endpoint) *container.Endpoint {
	cep := &container.Endpoint{
		Bridge: bridgeName, NetNSPath: ep.NetNSPath, IP: ep.IP.String(), PrefixLen: ep.PrefixLen,
		Gateway: ep.Gateway.String(), MAC: ep.MAC.String(),
	}
	if ep.IP6 != nil {
		cep.IP6, cep.PrefixLen6, cep.Gateway6 = ep.IP6.String(), ep.PrefixLen6, ep.Gateway6.String()
	}
	return cep
}

// endpointOptions picks the create request's settings for network name.
func endpointOptions(eps map[string]*netapi.EndpointSettings, name string) manager.EndpointOptions {
	es := eps[name]
	if es == nil {
		return manager.EndpointOptions{}
	}
	return settingsToOptions(es)
}

func settingsToOptions(es *netapi.EndpointSettings) manager.EndpointOptions {
	opts := manager.EndpointOptions{Aliases: es.Aliases}
	if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
		opts.IP = net.IP(es.IPAMConfig.IPv4Address.AsSlice())
	}
	if len(es.MacAddress) > 0 {
		opts.MAC = net.HardwareAddr(es.MacAddress)
	}
	return opts
}

// Detach takes the container off every network and removes its netns.
func (a netAdapter) Detach(ctx context.Context, id string) error {
	return errors.Join(a.nets.DetachAll(ctx, id), a.def.Detach(ctx, id))
}

// Remove forgets the network memberships of a deleted container.
func (a netAdapter) Remove(ctx context.Context, id string) error { return a.nets.Forget(ctx, id) }

// CheckNetwork reports whether a user network of that name or ID exists.
func (a netAdapter) CheckNetwork(_ context.Context, name string) error {
	_, err := a.nets.Get(name)
	return err
}

// Publish forwards the container's published ports on the bridge of its
// first network (see bridge.Publish).
func (a netAdapter) Publish(ctx context.Context, id string, ports []container.PublishedPort) ([]container.PublishedPort, error) {
	got, err := a.def.Publish(ctx, id, toMappings(ports))
	if errors.Is(err, errdefs.ErrFailedPrecondition) {
		if br := a.nets.Primary(id); br != nil {
			got, err = br.Publish(ctx, id, toMappings(ports))
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]container.PublishedPort, len(got))
	for i, m := range got {
		out[i] = container.PublishedPort{Proto: m.Proto, HostPort: m.HostPort, ContainerPort: m.ContainerPort}
		if m.HostIP != nil {
			out[i].HostIP = m.HostIP.String()
		}
	}
	return out, nil
}

// Networks lists the user networks id is a member of, as inspect shows them.
func (a netAdapter) Networks(id string) map[string]*netapi.EndpointSettings {
	out := map[string]*netapi.EndpointSettings{}
	for _, ep := range a.nets.Endpoints(id) {
		r := ep.Record
		es := &netapi.EndpointSettings{NetworkID: ep.NetworkID, Aliases: r.Aliases,
			DNSNames: append([]string{r.Name, shortID(id)}, r.Aliases...)}
		if ep.Predefined { // the default bridge has no DNS
			es.DNSNames = nil
		}
		if ip, err := netip.ParseAddr(r.RequestedIP); err == nil {
			es.IPAMConfig = &netapi.EndpointIPAMConfig{IPv4Address: ip}
		}
		if r.IP != "" {
			es.EndpointID = id
			es.IPAddress, _ = netip.ParseAddr(r.IP)
			es.Gateway, _ = netip.ParseAddr(ep.Gateway)
			es.IPPrefixLen = ep.PrefixLen
			if mac, err := net.ParseMAC(r.AttachMAC); err == nil {
				es.MacAddress = netapi.HardwareAddr(mac)
			}
			if ip6, err := netip.ParseAddr(r.IP6); err == nil {
				es.GlobalIPv6Address, es.GlobalIPv6PrefixLen = ip6, ep.PrefixLen6
				es.IPv6Gateway, _ = netip.ParseAddr(ep.Gateway6)
			}
		}
		out[ep.NetworkName] = es
	}
	return out
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// restoreEndpoint gives a running container its address and published
// ports back on the bridge of its first network (after a daemon restart).
func (d *Daemon) restoreEndpoint(id string, ep *container.Endpoint) {
	if ep == nil {
		return
	}
	br := d.network
	if ep.Bridge != "" && ep.Bridge != d.network.Name() {
		if br = d.nets.Bridge(ep.Bridge); br == nil {
			d.log.Warn("restore endpoint: network gone", "container", id, "bridge", ep.Bridge)
			return
		}
	}
	br.Restore(id, net.ParseIP(ep.IP))
	br.RestorePorts(id, toMappings(ep.Ports))
}

// restoreNetworks restores the user networks' endpoints of running
// containers and drops what crashed or removed containers left there.
func (d *Daemon) restoreNetworks(ctx context.Context, running map[string]bool) {
	exists := map[string]bool{}
	for _, c := range d.containers.All() {
		exists[c.ID] = true
	}
	if err := d.nets.Restore(ctx, running, exists); err != nil {
		d.log.Warn("restore user networks", "err", err)
	}
	if err := d.nets.PruneLeftovers(ctx, running); err != nil {
		d.log.Warn("prune user network leftovers", "err", err)
	}
}

// limit applies the container's bandwidth cap; on failure the container
// is taken off its network again.
func (a netAdapter) limit(ctx context.Context, br *bridge.Network, ep *bridge.Endpoint, req container.AttachRequest) error {
	if req.Bandwidth == 0 || br == nil {
		return nil
	}
	if err := br.LimitBandwidth(ctx, ep, req.Bandwidth); err != nil {
		_ = a.Detach(context.WithoutCancel(ctx), req.ContainerID)
		return err
	}
	return nil
}
