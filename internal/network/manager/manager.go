package manager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/network/bridge"
	"github.com/containerd/errdefs"
)

// Predefined network names: they cannot be created or removed.
var predefined = map[string]bool{"bridge": true, "host": true, "none": true, "default": true}

// Config configures the manager.
type Config struct {
	StateDir string // one JSON file per network
	NetNSDir string // shared with the default bridge
	// HostResolvConf is the resolv.conf whose nameservers the DNS servers
	// forward to (default /etc/resolv.conf).
	HostResolvConf string
	// DNSPort is the port the embedded DNS servers listen on (default 53;
	// tests use another).
	DNSPort int
	Log     *slog.Logger
	// Default is the daemon's default bridge network, which containers can
	// be connected to as well (nil: none).
	Default *Predefined
}

// Manager is the set of user networks. Its methods are safe for
// concurrent use.
type Manager struct {
	cfg  Config
	mu   sync.Mutex
	nets map[string]*userNet // by ID
	def  *userNet            // the default bridge (predefined.go), not in nets
}

type userNet struct {
	rec *Record
	br  *bridge.Network
	dns *dnsServer
}

// New loads the recorded networks and brings each up again (bridge,
// rules, DNS). A network that fails to come up is logged and skipped.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.HostResolvConf == "" {
		cfg.HostResolvConf = "/etc/resolv.conf"
	}
	if cfg.DNSPort == 0 {
		cfg.DNSPort = 53
	}
	if err := os.MkdirAll(cfg.StateDir, 0o711); err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, nets: map[string]*userNet{}}
	recs, errs := loadRecords(cfg.StateDir)
	for _, err := range errs {
		cfg.Log.Warn("skip network", "err", err)
	}
	for _, r := range recs {
		if r.State != "" {
			m.finishIntent(ctx, r)
			continue
		}
		n, err := m.up(ctx, r)
		if err != nil {
			cfg.Log.Warn("bring up network", "network", r.Name, "err", err)
			continue
		}
		m.nets[r.ID] = n
	}
	if cfg.Default != nil {
		def, err := m.loadDefault(*cfg.Default)
		if err != nil {
			return nil, err
		}
		m.def = def
	}
	return m, nil
}

// up creates (idempotently) the bridge of r and starts its DNS server.
func (m *Manager) up(ctx context.Context, r *Record) (*userNet, error) {
	br, err := bridge.New(ctx, bridge.Config{
		BridgeName: r.Bridge, Subnet: r.Subnet, Gateway: r.Gateway, IPRange: r.IPRange,
		NetNSDir: m.cfg.NetNSDir, TableName: tableName(r.Bridge),
		Internal: r.Internal, DisableICC: !r.ICC, VethPrefix: vethPrefix(r.ID), BlockPrivate: r.BlockPrivate, Subnet6: r.Subnet6,
	})
	if err != nil {
		return nil, err
	}
	n := &userNet{rec: r, br: br}
	if n.dns, err = m.startDNS(n); err != nil {
		_ = br.Teardown(ctx)
		return nil, err
	}
	return n, nil
}

// vethPrefix is unique per network: the bridge-family icc rule matches it.
func vethPrefix(id string) string { return "vn" + id[:5] }

// Close stops the DNS servers and releases netlink sockets; bridges,
// rules and containers stay.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.nets {
		n.dns.close()
		_ = n.br.Close()
	}
}

// lookup finds a network by full ID, name, or unique ID prefix.
func (m *Manager) lookup(ref string) (*userNet, error) {
	if n, ok := m.nets[ref]; ok {
		return n, nil
	}
	var found []*userNet
	for _, n := range m.nets {
		if n.rec.Name == ref {
			return n, nil
		}
		if strings.HasPrefix(n.rec.ID, ref) {
			found = append(found, n)
		}
	}
	switch {
	case len(found) == 1 && ref != "":
		return found[0], nil
	case len(found) > 1:
		return nil, fmt.Errorf("network %s is ambiguous (%d matches found): %w", ref, len(found), errdefs.ErrInvalidArgument)
	}
	return nil, fmt.Errorf("network %s not found: %w", ref, errdefs.ErrNotFound)
}

// Get returns a copy of the record of the network ref (ID, name or ID prefix).
func (m *Manager) Get(ref string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(ref)
	if err != nil {
		return nil, err
	}
	return n.rec.clone(), nil
}

// List returns copies of all records, by name.
func (m *Manager) List() []*Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Record, 0, len(m.nets))
	for _, n := range m.nets {
		out = append(out, n.rec.clone())
	}
	slices.SortFunc(out, func(a, b *Record) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// CreateOptions is a network create request.
type CreateOptions struct {
	Name     string
	Subnet   string
	Gateway  string
	IPRange  string
	Internal bool
	Labels   map[string]string
	Options  map[string]string
	// EnableIPv6 adds IPv6 with Subnet6, or a ULA /64 derived from the ID.
	EnableIPv6 bool
	Subnet6    string
}

// Options understood in CreateOptions.Options (Docker's names).
const (
	OptBridgeName = "com.docker.network.bridge.name"
	OptICC        = "com.docker.network.bridge.enable_icc"
	// OptBlockPrivate=true drops egress to private and link-local ranges
	// (Berth's own; Docker has no equivalent).
	OptBlockPrivate = "berth.network.block_private"
)

// Create makes a network: a name not in use, a subnet (the requested one,
// which must not overlap another network or the host's routes, or a free
// one from the pool), its bridge, rules and DNS server.
func (m *Manager) Create(ctx context.Context, opts CreateOptions) (*Record, error) {
	if err := validName(opts.Name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.nets {
		if n.rec.Name == opts.Name {
			return nil, fmt.Errorf("network with name %s already exists: %w", opts.Name, errdefs.ErrConflict)
		}
	}
	r, err := m.newRecord(opts)
	if err != nil {
		return nil, err
	}
	r.State = StateCreating
	if err := m.save(r); err != nil {
		return nil, err
	}
	n, err := m.up(ctx, r)
	if err == nil {
		err = faultPoint(ctx, faultCreateAfterBridge)
	}
	if err == nil {
		r.State, r.Gateway = "", n.br.Gateway().String()
		if r.Subnet6 != "" {
			r.Gateway6 = n.br.Gateway6().String()
		}
		err = m.save(r)
	}
	if err != nil {
		if n != nil {
			n.dns.close()
			_ = n.br.Close()
		}
		m.undo(context.WithoutCancel(ctx), r)
		return nil, err
	}
	m.nets[r.ID] = n
	return r.clone(), nil
}

func validName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("network name required: %w", errdefs.ErrInvalidArgument)
	case predefined[name]:
		return fmt.Errorf("%s is a pre-defined network and cannot be created: %w", name, errdefs.ErrPermissionDenied)
	case strings.ContainsAny(name, "/\x00 "):
		return fmt.Errorf("invalid network name %q: %w", name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// newRecord validates opts and fills in ID, bridge name and subnet.
func (m *Manager) newRecord(opts CreateOptions) (*Record, error) {
	r := &Record{
		Version: recordVersion, Name: opts.Name, Created: time.Now().UTC(),
		Gateway: opts.Gateway, IPRange: opts.IPRange, Internal: opts.Internal, ICC: true,
		Labels: maps.Clone(opts.Labels), Options: maps.Clone(opts.Options),
		Endpoints: map[string]*EndpointRecord{},
	}
	for r.ID == "" || m.prefixTaken(r.ID) {
		r.ID = newID()
	}
	r.Bridge = "br-" + r.ID[:12]
	for k, v := range opts.Options {
		switch k {
		case OptBridgeName:
			if v == "" || len(v) > 15 {
				return nil, fmt.Errorf("bridge name %q: 1 to 15 characters: %w", v, errdefs.ErrInvalidArgument)
			}
			r.Bridge = v
		case OptICC:
			r.ICC = v != "false"
		case OptBlockPrivate:
			r.BlockPrivate = v == "true"
		}
	}
	for _, n := range m.nets {
		if n.rec.Bridge == r.Bridge {
			return nil, fmt.Errorf("bridge %s is used by network %s: %w", r.Bridge, n.rec.Name, errdefs.ErrConflict)
		}
	}
	subnet, err := m.chooseSubnet(opts.Subnet)
	if err != nil {
		return nil, err
	}
	r.Subnet = subnet.String()
	if opts.EnableIPv6 || opts.Subnet6 != "" {
		if r.Subnet6, err = m.chooseSubnet6(opts.Subnet6, r.ID); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// chooseSubnet6 checks a requested IPv6 subnet against the other
// networks', or derives a ULA /64 (fdXX:XXXX:XXXX::/64) from the ID.
func (m *Manager) chooseSubnet6(want, id string) (string, error) {
	if want == "" {
		want = fmt.Sprintf("fd%s:%s:%s::/64", id[0:2], id[2:6], id[6:10])
	}
	_, s, err := net.ParseCIDR(want)
	if err != nil || s.IP.To4() != nil {
		return "", fmt.Errorf("invalid IPv6 subnet %q: %w", want, errdefs.ErrInvalidArgument)
	}
	for _, n := range m.nets {
		if _, o, err := net.ParseCIDR(n.rec.Subnet6); err == nil && (o.Contains(s.IP) || s.Contains(o.IP)) {
			return "", fmt.Errorf("invalid pool request: Pool overlaps with other one on this address space: %w", errdefs.ErrConflict)
		}
	}
	return s.String(), nil
}

func (m *Manager) prefixTaken(id string) bool {
	for _, n := range m.nets {
		if vethPrefix(n.rec.ID) == vethPrefix(id) {
			return true
		}
	}
	return false
}

func (m *Manager) taken() []*net.IPNet {
	var out []*net.IPNet
	for _, n := range m.nets {
		if _, s, err := net.ParseCIDR(n.rec.Subnet); err == nil {
			out = append(out, s)
		}
	}
	return out
}

func (m *Manager) chooseSubnet(want string) (*net.IPNet, error) {
	if want == "" {
		return bridge.FreeSubnet(m.taken())
	}
	_, s, err := net.ParseCIDR(want)
	if err != nil || s.IP.To4() == nil {
		return nil, fmt.Errorf("invalid subnet %q: only IPv4 CIDRs are supported: %w", want, errdefs.ErrInvalidArgument)
	}
	if bridge.Overlaps(s, m.taken()) {
		return nil, fmt.Errorf("invalid pool request: Pool overlaps with other one on this address space: %w", errdefs.ErrConflict)
	}
	host, err := bridge.HostNetworks()
	if err != nil {
		return nil, err
	}
	if bridge.Overlaps(s, host) {
		return nil, fmt.Errorf("subnet %s overlaps a network of the host: %w", s, errdefs.ErrConflict)
	}
	return s, nil
}

func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Remove deletes a network no running container is attached to (409
// otherwise); the records of stopped containers' endpoints go with it.
func (m *Manager) Remove(ctx context.Context, ref string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(ref)
	if err != nil {
		return err
	}
	return m.removeLocked(ctx, n)
}

func (m *Manager) removeLocked(ctx context.Context, n *userNet) error {
	for _, ep := range n.rec.Endpoints {
		if ep.IP != "" {
			return fmt.Errorf("error while removing network: network %s id %s has active endpoints: %w", n.rec.Name, n.rec.ID, errdefs.ErrConflict)
		}
	}
	n.rec.State = StateRemoving
	if err := m.save(n.rec); err != nil {
		n.rec.State = ""
		return err
	}
	n.dns.close()
	err := n.br.Teardown(ctx)
	if rmErr := os.Remove(m.recordPath(n.rec.ID)); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	delete(m.nets, n.rec.ID)
	return err
}

// Prune removes every network no container (running or not) references,
// among those keep accepts (nil: all); it returns the names removed.
func (m *Manager) Prune(ctx context.Context, keep func(*Record) bool) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var removed []string
	var errs []error
	for _, n := range m.nets {
		if keep != nil && !keep(n.rec) || len(n.rec.Endpoints) > 0 {
			continue
		}
		if err := m.removeLocked(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, n.rec.Name)
	}
	slices.Sort(removed)
	return removed, errors.Join(errs...)
}
