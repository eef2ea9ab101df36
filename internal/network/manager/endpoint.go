package manager

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/network/bridge"
	"github.com/containerd/errdefs"
)

// Container identifies the container an endpoint belongs to.
type Container struct {
	ID   string
	Name string // without the leading "/"
}

// EndpointOptions are the per-network settings of docker run / network
// connect (--network-alias, --ip, --mac-address).
type EndpointOptions struct {
	Aliases []string
	IP      net.IP
	MAC     net.HardwareAddr
}

// Attachment is a container's live endpoint on a user network.
type Attachment struct {
	NetworkID   string
	NetworkName string
	Bridge      string
	Endpoint    *bridge.Endpoint
}

// Attach makes ref the first network of container c: it creates c's netns
// with eth0 on the network's bridge and records the endpoint.
func (m *Manager) Attach(ctx context.Context, ref string, c Container, opts EndpointOptions) (*Attachment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(ref)
	if err != nil {
		return nil, err
	}
	rec := n.endpointRecord(c, opts)
	if err := m.checkAliases(n, c.ID, rec.Aliases); err != nil {
		return nil, err
	}
	ep, err := n.br.AttachWith(ctx, c.ID, bridge.AttachOptions{IP: requestedIP(rec), MAC: opts.MAC})
	if err != nil {
		return nil, err
	}
	rec.Primary = true
	return m.commitAttach(ctx, n, rec, ep)
}

// Connect records c as a member of network ref; when the container runs
// (netnsPath set) it is attached at once as the next free ethN, otherwise
// at its next start (JoinPending). Connecting twice is a conflict.
func (m *Manager) Connect(ctx context.Context, ref string, c Container, netnsPath string, opts EndpointOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupMember(ref)
	if err != nil {
		return err
	}
	if err := n.checkPredefined(opts); err != nil {
		return err
	}
	if _, ok := n.rec.Endpoints[c.ID]; ok {
		return fmt.Errorf("endpoint with name %s already exists in network %s: %w", c.Name, n.rec.Name, errdefs.ErrConflict)
	}
	rec := n.endpointRecord(c, opts)
	if err := m.checkAliases(n, c.ID, rec.Aliases); err != nil {
		return err
	}
	if netnsPath == "" {
		n.rec.Endpoints[c.ID] = rec
		if err := m.save(n.rec); err != nil {
			delete(n.rec.Endpoints, c.ID)
			return err
		}
		return nil
	}
	_, err = m.joinLocked(ctx, n, rec, netnsPath)
	return err
}

// JoinPending attaches c (whose netns exists at netnsPath) to every network
// it was connected to but is not attached to yet: the start of a container
// connected while stopped, or restarted.
func (m *Manager) JoinPending(ctx context.Context, c Container, netnsPath string) ([]*Attachment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Attachment
	for _, n := range m.members() {
		rec, ok := n.rec.Endpoints[c.ID]
		if !ok || rec.IP != "" {
			continue
		}
		rec.Name = c.Name
		a, err := m.joinLocked(ctx, n, rec, netnsPath)
		if err != nil {
			return out, fmt.Errorf("network %s: %w", n.rec.Name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (m *Manager) joinLocked(ctx context.Context, n *userNet, rec *EndpointRecord, netnsPath string) (*Attachment, error) {
	ifname := m.nextIfName(rec.ContainerID)
	mac, _ := net.ParseMAC(rec.MAC)
	ep, err := n.br.Join(ctx, rec.ContainerID, netnsPath, ifname, bridge.AttachOptions{IP: requestedIP(rec), MAC: mac})
	if err != nil {
		return nil, err
	}
	rec.Primary = false
	return m.commitAttach(ctx, n, rec, ep)
}

// commitAttach records a live endpoint; on a failed save it is undone.
func (m *Manager) commitAttach(ctx context.Context, n *userNet, rec *EndpointRecord, ep *bridge.Endpoint) (*Attachment, error) {
	prev, had := n.rec.Endpoints[rec.ContainerID]
	rec.IP, rec.AttachMAC, rec.IfName = ep.IP.String(), ep.MAC.String(), ep.IfName
	if ep.IP6 != nil {
		rec.IP6 = ep.IP6.String()
	}
	n.rec.Endpoints[rec.ContainerID] = rec
	if err := m.save(n.rec); err != nil {
		_ = n.br.Leave(context.WithoutCancel(ctx), rec.ContainerID)
		rec.IP, rec.IP6, rec.AttachMAC, rec.IfName = "", "", "", ""
		if had {
			n.rec.Endpoints[rec.ContainerID] = prev
		} else {
			delete(n.rec.Endpoints, rec.ContainerID)
		}
		return nil, err
	}
	return &Attachment{NetworkID: n.rec.ID, NetworkName: n.rec.Name, Bridge: n.rec.Bridge, Endpoint: ep}, nil
}

// endpointRecord is the existing record of c (stopped container
// reconnecting) updated with opts, or a new one.
func (n *userNet) endpointRecord(c Container, opts EndpointOptions) *EndpointRecord {
	rec := &EndpointRecord{ContainerID: c.ID}
	if old, ok := n.rec.Endpoints[c.ID]; ok {
		cp := *old
		rec = &cp
	}
	rec.Name = c.Name
	if opts.Aliases != nil {
		rec.Aliases = slices.Clone(opts.Aliases)
	}
	if opts.IP != nil {
		rec.RequestedIP = opts.IP.String()
	}
	if opts.MAC != nil {
		rec.MAC = opts.MAC.String()
	}
	return rec
}

func requestedIP(rec *EndpointRecord) net.IP {
	if rec.RequestedIP == "" {
		return nil
	}
	return net.ParseIP(rec.RequestedIP)
}

// checkAliases refuses an alias that is another container's name on the
// same network. Several containers may share an alias, as in Docker: the
// DNS answers with all their addresses (compose's service names with
// replicas rely on it).
func (m *Manager) checkAliases(n *userNet, id string, aliases []string) error {
	for _, a := range aliases {
		for other, ep := range n.rec.Endpoints {
			if other != id && strings.EqualFold(ep.Name, a) {
				return fmt.Errorf("alias %q is already used by container %s on network %s: %w", a, ep.Name, n.rec.Name, errdefs.ErrConflict)
			}
		}
	}
	return nil
}

// nextIfName is the lowest ethN (N ≥ 1) the container has on no network.
func (m *Manager) nextIfName(id string) string {
	used := map[string]bool{"eth0": true}
	for _, n := range m.members() {
		if ep, ok := n.rec.Endpoints[id]; ok && ep.IfName != "" {
			used[ep.IfName] = true
		}
	}
	for i := 1; ; i++ {
		if name := fmt.Sprintf("eth%d", i); !used[name] {
			return name
		}
	}
}

// Disconnect removes container id from network ref, live when attached.
func (m *Manager) Disconnect(ctx context.Context, ref, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupMember(ref)
	if err != nil {
		return err
	}
	rec, ok := n.rec.Endpoints[id]
	if !ok {
		return fmt.Errorf("container %s is not connected to network %s: %w", id, n.rec.Name, errdefs.ErrNotFound)
	}
	if rec.IP != "" {
		if err := n.br.Leave(ctx, id); err != nil {
			return err
		}
	}
	delete(n.rec.Endpoints, id)
	return m.save(n.rec)
}

// DetachAll takes container id off every network (it stopped); the
// records stay so the next start attaches it again. Idempotent.
func (m *Manager) DetachAll(ctx context.Context, id string) error {
	return m.detachAll(ctx, id, false)
}

// Forget is DetachAll and drops the records too (the container is gone).
func (m *Manager) Forget(ctx context.Context, id string) error {
	return m.detachAll(ctx, id, true)
}

func (m *Manager) detachAll(ctx context.Context, id string, forget bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, n := range m.members() {
		rec, ok := n.rec.Endpoints[id]
		if !ok {
			continue
		}
		if rec.IP != "" {
			errs = append(errs, n.br.Leave(ctx, id))
		}
		rec.IP, rec.IP6, rec.AttachMAC, rec.IfName, rec.Primary = "", "", "", "", false
		if forget {
			delete(n.rec.Endpoints, id)
		}
		errs = append(errs, m.save(n.rec))
	}
	return errors.Join(errs...)
}

// Restore runs once at daemon start: endpoints of running containers keep
// their addresses (and published ports); the rest are marked detached and
// records of containers that no longer exist are dropped; veths and rules
// of gone containers are pruned.
func (m *Manager) Restore(ctx context.Context, running, exists map[string]bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, n := range m.members() {
		changed := false
		for id, rec := range n.rec.Endpoints {
			switch {
			case !exists[id]:
				delete(n.rec.Endpoints, id)
				changed = true
			case running[id] && rec.IP != "":
				n.br.Restore(id, net.ParseIP(rec.IP))
			case rec.IP != "":
				rec.IP, rec.IP6, rec.AttachMAC, rec.IfName, rec.Primary = "", "", "", "", false
				changed = true
			}
		}
		if changed {
			errs = append(errs, m.save(n.rec))
		}
	}
	return errors.Join(errs...)
}

// PruneLeftovers removes the veths and port rules of containers not in keep from
// every user network (after the containers' own Restore calls).
func (m *Manager) PruneLeftovers(ctx context.Context, keep map[string]bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, n := range m.nets {
		errs = append(errs, n.br.Prune(ctx, keep))
	}
	return errors.Join(errs...)
}

// Bridge returns the user network whose bridge interface is named ifname
// (to publish ports of containers started on it), or nil.
func (m *Manager) Bridge(ifname string) *bridge.Network {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.nets {
		if n.rec.Bridge == ifname {
			return n.br
		}
	}
	return nil
}

// Endpoint is a container's membership as inspect shows it.
type Endpoint struct {
	NetworkID, NetworkName string
	Record                 EndpointRecord
	Gateway                string
	PrefixLen              int
	Gateway6               string // "" without IPv6
	PrefixLen6             int
	Predefined             bool // the default bridge: no DNS names
}

// Endpoints lists the networks container id is a member of, by name.
func (m *Manager) Endpoints(id string) []Endpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Endpoint
	for _, n := range m.members() {
		if rec, ok := n.rec.Endpoints[id]; ok {
			ones, _ := n.br.Subnet().Mask.Size()
			ep := Endpoint{NetworkID: n.rec.ID, NetworkName: n.rec.Name, Record: *rec, Gateway: n.br.Gateway().String(), PrefixLen: ones,
				Predefined: n.rec.Predefined}
			if s6 := n.br.Subnet6(); s6 != nil {
				ep.Gateway6 = n.br.Gateway6().String()
				ep.PrefixLen6, _ = s6.Mask.Size()
			}
			out = append(out, ep)
		}
	}
	return out
}

func (m *Manager) sorted() []*userNet {
	out := make([]*userNet, 0, len(m.nets))
	for _, n := range m.nets {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *userNet) int { return strings.Compare(a.rec.Name, b.rec.Name) })
	return out
}

// Primary returns the bridge of the user network container id was started
// on (its eth0), or nil.
func (m *Manager) Primary(id string) *bridge.Network {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.nets {
		if ep, ok := n.rec.Endpoints[id]; ok && ep.Primary && ep.IP != "" {
			return n.br
		}
	}
	return nil
}
