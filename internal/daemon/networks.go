package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/berth-engine/berth/internal/filters"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/network/manager"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	netapi "github.com/moby/moby/api/types/network"
)

// networkBackend serves the /networks API: the predefined networks
// (bridge, host, none) and the user networks of the manager.
type networkBackend struct{ d *Daemon }

// predefinedID is a stable ID for a predefined network of this daemon.
func (b networkBackend) predefinedID(name string) string {
	sum := sha256.Sum256([]byte("berth-network:" + b.d.cfg.DataRoot + ":" + name))
	return hex.EncodeToString(sum[:])
}

func (b networkBackend) predefined() []netapi.Inspect {
	def := b.d.network
	subnet, _ := netip.ParsePrefix(def.Subnet().String())
	gw, _ := netip.ParseAddr(def.Gateway().String())
	mk := func(name, driver string) netapi.Inspect {
		return netapi.Inspect{Network: netapi.Network{
			Name: name, ID: b.predefinedID(name), Created: b.d.started, Scope: "local", Driver: driver,
			EnableIPv4: true, IPAM: netapi.IPAM{Driver: "default", Config: []netapi.IPAMConfig{}},
			Options: map[string]string{}, Labels: map[string]string{},
		}, Containers: map[string]netapi.EndpointResource{}}
	}
	br := mk("bridge", "bridge")
	br.IPAM.Config = []netapi.IPAMConfig{{Subnet: subnet, Gateway: gw}}
	if s6 := def.Subnet6(); s6 != nil {
		p6, _ := netip.ParsePrefix(s6.String())
		gw6, _ := netip.ParseAddr(def.Gateway6().String())
		br.EnableIPv6, br.IPAM.Config = true, append(br.IPAM.Config, netapi.IPAMConfig{Subnet: p6, Gateway: gw6})
	}
	br.Options = map[string]string{
		"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "true",
		"com.docker.network.bridge.enable_ip_masquerade": "true", manager.OptBridgeName: def.Name(),
	}
	for _, c := range b.d.containers.All() {
		ins := b.d.containers.Inspect(c)
		if ep := ins.NetworkSettings.Networks["bridge"]; ep != nil && ep.IPAddress.IsValid() {
			res := netapi.EndpointResource{Name: strings.TrimPrefix(ins.Name, "/"), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress,
				IPv4Address: netip.PrefixFrom(ep.IPAddress, ep.IPPrefixLen)}
			if ep.GlobalIPv6Address.IsValid() {
				res.IPv6Address = netip.PrefixFrom(ep.GlobalIPv6Address, ep.GlobalIPv6PrefixLen)
			}
			br.Containers[c.ID] = res
		}
	}
	return []netapi.Inspect{br, mk("host", "host"), mk("none", "null")}
}

func toInspect(r *manager.Record) netapi.Inspect {
	subnet, _ := netip.ParsePrefix(r.Subnet)
	gw, _ := netip.ParseAddr(r.Gateway)
	cfg := netapi.IPAMConfig{Subnet: subnet, Gateway: gw}
	if rng, err := netip.ParsePrefix(r.IPRange); err == nil {
		cfg.IPRange = rng
	}
	ipam := []netapi.IPAMConfig{cfg}
	if s6, err := netip.ParsePrefix(r.Subnet6); err == nil {
		gw6, _ := netip.ParseAddr(r.Gateway6)
		ipam = append(ipam, netapi.IPAMConfig{Subnet: s6, Gateway: gw6})
	}
	n := netapi.Inspect{Network: netapi.Network{
		Name: r.Name, ID: r.ID, Created: r.Created, Scope: "local", Driver: "bridge", EnableIPv4: true, EnableIPv6: r.Subnet6 != "",
		IPAM:     netapi.IPAM{Driver: "default", Options: map[string]string{}, Config: ipam},
		Internal: r.Internal, Options: orEmptyMap(r.Options), Labels: orEmptyMap(r.Labels),
	}, Containers: map[string]netapi.EndpointResource{}}
	ones := subnet.Bits()
	for id, ep := range r.Endpoints {
		if ep.IP == "" {
			continue
		}
		ip, _ := netip.ParseAddr(ep.IP)
		mac, _ := net.ParseMAC(ep.AttachMAC)
		res := netapi.EndpointResource{Name: ep.Name, EndpointID: id, MacAddress: netapi.HardwareAddr(mac), IPv4Address: netip.PrefixFrom(ip, ones)}
		if ip6, err := netip.ParseAddr(ep.IP6); err == nil {
			s6, _ := netip.ParsePrefix(r.Subnet6)
			res.IPv6Address = netip.PrefixFrom(ip6, s6.Bits())
		}
		n.Containers[id] = res
	}
	return n
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (b networkBackend) all() []netapi.Inspect {
	out := b.predefined()
	for _, r := range b.d.nets.List() {
		out = append(out, toInspect(r))
	}
	return out
}

// Networks lists the networks matching Docker's filters: name
// (substring), id (prefix), driver, type (builtin|custom), label.
func (b networkBackend) Networks(_ context.Context, f map[string][]string) ([]netapi.Inspect, error) {
	var out []netapi.Inspect
	for _, n := range b.all() {
		if networkMatches(n, f) {
			out = append(out, n)
		}
	}
	if out == nil {
		out = []netapi.Inspect{}
	}
	return out, nil
}

func networkMatches(n netapi.Inspect, f map[string][]string) bool {
	kind := "custom"
	if n.Name == "bridge" || n.Name == "host" || n.Name == "none" {
		kind = "builtin"
	}
	return filters.AnyOf(f["name"], func(v string) bool { return strings.Contains(n.Name, v) }) &&
		filters.AnyOf(f["id"], func(v string) bool { return strings.HasPrefix(n.ID, v) }) &&
		filters.AnyOf(f["driver"], func(v string) bool { return n.Driver == v }) &&
		filters.AnyOf(f["type"], func(v string) bool { return kind == v }) &&
		filters.Labels(n.Labels, f["label"])
}

// Network returns one network by name, ID or ID prefix.
func (b networkBackend) Network(_ context.Context, ref string) (netapi.Inspect, error) {
	for _, n := range b.predefined() {
		if n.Name == ref || n.ID == ref {
			return n, nil
		}
	}
	r, err := b.d.nets.Get(ref)
	if err != nil {
		return netapi.Inspect{}, err
	}
	return toInspect(r), nil
}

// CreateNetwork creates a user network (bridge driver, IPv4).
func (b networkBackend) CreateNetwork(ctx context.Context, req netapi.CreateRequest) (netapi.CreateResponse, error) {
	if req.Driver != "" && req.Driver != "bridge" {
		return netapi.CreateResponse{}, fmt.Errorf("network driver %q is not supported (bridge only): %w", req.Driver, errdefs.ErrNotImplemented)
	}
	opts := manager.CreateOptions{Name: req.Name, Internal: req.Internal, Labels: req.Labels, Options: req.Options,
		EnableIPv6: req.EnableIPv6 != nil && *req.EnableIPv6}
	var v4 []netapi.IPAMConfig
	if req.IPAM != nil {
		for _, c := range req.IPAM.Config {
			if c.Subnet.IsValid() && c.Subnet.Addr().Is6() {
				if opts.Subnet6 != "" || !opts.EnableIPv6 {
					return netapi.CreateResponse{}, fmt.Errorf("IPv6 subnet %s: one per network, with --ipv6: %w", c.Subnet, errdefs.ErrInvalidArgument)
				}
				opts.Subnet6 = c.Subnet.Masked().String()
				continue
			}
			v4 = append(v4, c)
		}
	}
	if len(v4) > 1 {
		return netapi.CreateResponse{}, fmt.Errorf("only one IPv4 IPAM config (subnet) per network: %w", errdefs.ErrInvalidArgument)
	}
	if len(v4) == 1 {
		c := v4[0]
		if c.Subnet.IsValid() {
			opts.Subnet = c.Subnet.Masked().String()
		}
		if c.Gateway.IsValid() {
			opts.Gateway = c.Gateway.String()
		}
		if c.IPRange.IsValid() {
			opts.IPRange = c.IPRange.String()
		}
		if !c.Subnet.IsValid() && (opts.Gateway != "" || opts.IPRange != "") {
			return netapi.CreateResponse{}, fmt.Errorf("gateway and ip-range need a subnet: %w", errdefs.ErrInvalidArgument)
		}
	}
	r, err := b.d.nets.Create(ctx, opts)
	if err != nil {
		return netapi.CreateResponse{}, err
	}
	b.emit(events.ActionCreate, r.ID, r.Name, "")
	return netapi.CreateResponse{ID: r.ID}, nil
}

// RemoveNetwork removes a user network (predefined ones are refused).
func (b networkBackend) RemoveNetwork(ctx context.Context, ref string) error {
	for _, n := range b.predefined() {
		if n.Name == ref || n.ID == ref {
			return fmt.Errorf("%s is a pre-defined network and cannot be removed: %w", n.Name, errdefs.ErrPermissionDenied)
		}
	}
	r, err := b.d.nets.Get(ref)
	if err != nil {
		return err
	}
	if err := b.d.nets.Remove(ctx, r.ID); err != nil {
		return err
	}
	b.emit(events.ActionDestroy, r.ID, r.Name, "")
	return nil
}

// emit publishes a network event as Docker does (attributes name, type
// and, for connect/disconnect, container).
func (b networkBackend) emit(action events.Action, id, name, containerID string) {
	attrs := map[string]string{"name": name, "type": "bridge"}
	if containerID != "" {
		attrs["container"] = containerID
	}
	b.d.events.Log(action, events.NetworkEventType, events.Actor{ID: id, Attributes: attrs})
}

// PruneNetworks removes unused user networks (filters: label, until).
func (b networkBackend) PruneNetworks(ctx context.Context, f map[string][]string) (netapi.PruneReport, error) {
	var until time.Time
	for _, v := range f["until"] { // a duration or a timestamp, as Docker takes
		t, err := filters.Until(v, time.Now())
		if err != nil {
			return netapi.PruneReport{}, err
		}
		until = t
	}
	removed, err := b.d.nets.Prune(ctx, func(r *manager.Record) bool {
		return filters.Labels(r.Labels, f["label"]) &&
			(until.IsZero() || r.Created.Before(until))
	})
	if removed == nil {
		removed = []string{}
	}
	return netapi.PruneReport{NetworksDeleted: removed}, err
}

// Connect connects a container to a user network or the default bridge,
// live when it runs.
func (b networkBackend) Connect(ctx context.Context, ref string, req netapi.ConnectRequest) error {
	c, err := b.d.containers.Get(req.Container)
	if err != nil {
		return err
	}
	r, err := b.userNetwork(ref)
	if err != nil {
		return err
	}
	ins := b.d.containers.Inspect(c) // a consistent copy: rename and update race with us
	if err := connectable(ins.HostConfig.NetworkMode, strings.TrimPrefix(ins.Name, "/"), r); err != nil {
		return err
	}
	var opts manager.EndpointOptions
	if req.EndpointConfig != nil {
		opts = settingsToOptions(req.EndpointConfig)
	}
	netns := ""
	if ins.State.Running {
		netns = ins.NetworkSettings.SandboxKey
	}
	if err := b.d.nets.Connect(ctx, r.ID, manager.Container{ID: c.ID, Name: strings.TrimPrefix(ins.Name, "/")}, netns, opts); err != nil {
		return err
	}
	b.emit(events.ActionConnect, r.ID, r.Name, c.ID)
	return nil
}

// Disconnect removes a container from a user network or the default bridge.
func (b networkBackend) Disconnect(ctx context.Context, ref string, req netapi.DisconnectRequest) error {
	r, err := b.userNetwork(ref)
	if err != nil {
		return err
	}
	if r.Predefined {
		return b.disconnectDefault(ctx, r, req)
	}
	id, primary := req.Container, false
	if c, err := b.d.containers.Get(req.Container); err == nil {
		id = c.ID
		ins := b.d.containers.Inspect(c) // a consistent copy: rename and update race with us
		if r, err := b.d.nets.Get(ref); err == nil && (string(ins.HostConfig.NetworkMode) == r.Name || string(ins.HostConfig.NetworkMode) == r.ID) {
			primary = true
			if ins.State.Running && !req.Force {
				return fmt.Errorf("container %s is started on network %s; it cannot be disconnected while running: %w", strings.TrimPrefix(ins.Name, "/"), r.Name, errdefs.ErrConflict)
			}
		}
	}
	// A created container is a member of its --network before its first
	// start without an endpoint record yet: docker-compose v1 disconnects
	// and reconnects it (with aliases) between create and start.
	if err := b.d.nets.Disconnect(ctx, ref, id); err != nil && !(primary && errdefs.IsNotFound(err)) {
		return err
	}
	if r, err := b.d.nets.Get(ref); err == nil {
		b.emit(events.ActionDisconnect, r.ID, r.Name, id)
	}
	return nil
}

// userNetwork is the network of a connect or disconnect (netbridge.go).
func (b networkBackend) userNetwork(ref string) (*manager.Record, error) { return b.memberNetwork(ref) }

var _ container.Networker = netAdapter{}
