package bridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Defaults for Config.
const (
	DefaultBridgeName = "berth0"
	DefaultTableName  = "berth"
)

// Config describes the default bridge network.
type Config struct {
	// BridgeName defaults to "berth0"; two daemons side by side use different names.
	BridgeName string
	// Subnet is an optional fixed CIDR; otherwise the remembered one, else the
	// current subnet of an existing bridge, else a free one (see pickSubnet).
	Subnet string
	// StateFile remembers the chosen subnet across restarts ("" = don't).
	StateFile string
	// NetNSDir is where per-container netns are bind-mounted (e.g. /run/berth/netns).
	NetNSDir string
	// TableName is the daemon's own nftables table (family ip), default "berth".
	TableName string

	// User networks only.
	Gateway    string // default: the subnet's first host address
	IPRange    string // sub-range addresses are allocated from (--ip-range)
	Internal   bool   // no traffic in or out of the bridge but to the host
	DisableICC bool   // containers cannot reach each other directly
	// BlockPrivate drops what containers send to private, shared and
	// link-local addresses beyond the bridge (the host's intranet).
	BlockPrivate bool
	VethPrefix   string // host veth names: prefix + hash (default bridge: "vb" + ID)
	// Subnet6 enables IPv6 with this prefix (/64 … /96); "" = IPv4 only.
	Subnet6 string
}

// Network is the default bridge network. Its methods are safe for
// concurrent use.
type Network struct {
	cfg     Config
	subnet  *net.IPNet
	gateway net.IP
	// IPv6, when Config.Subnet6 is set (ipv6.go).
	subnet6  *net.IPNet
	gateway6 net.IP
	bridge   int // ifindex of the bridge
	h        *netlink.Handle
	nft      *nftables.Conn
	rules    ruleSet

	mu     sync.Mutex
	ipam   *ipam
	owners map[string]net.IP     // container ID -> address
	ports  map[string]*published // container ID -> published ports
}

// New ensures the bridge exists and is up with the gateway address, turns
// on IPv4 forwarding, programs the NAT and forward rules, and (when another
// engine's ip filter FORWARD chain exists) inserts the accept rules there.
// It is idempotent and keeps the subnet across restarts.
func New(ctx context.Context, cfg Config) (_ *Network, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	if cfg.NetNSDir == "" || len(cfg.BridgeName) > 15 {
		return nil, fmt.Errorf("bridge config %+v: NetNSDir required, name at most 15 bytes: %w", cfg, errdefs.ErrInvalidArgument)
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	n := &Network{cfg: cfg, h: h, owners: map[string]net.IP{}, ports: map[string]*published{}}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if n.subnet, err = chooseSubnet(cfg, h); err != nil {
		return nil, err
	}
	if n.gateway, err = chooseGateway(cfg.Gateway, n.subnet); err != nil {
		return nil, err
	}
	n.ipam = newIPAM(n.subnet, n.gateway)
	if cfg.Subnet6 != "" {
		if n.subnet6, err = parseSubnet6(cfg.Subnet6); err != nil {
			return nil, err
		}
		n.gateway6 = append(net.IP(nil), n.subnet6.IP.To16()...)
		n.gateway6[15] |= 1
	}
	if cfg.IPRange != "" {
		_, r, err := net.ParseCIDR(cfg.IPRange)
		if err != nil || r.IP.To4() == nil {
			return nil, fmt.Errorf("ip range %q: %w", cfg.IPRange, errdefs.ErrInvalidArgument)
		}
		if err := n.ipam.setRange(r); err != nil {
			return nil, err
		}
	}
	if err := n.setupHost(); err != nil {
		return nil, err
	}
	return n, nil
}

func withDefaults(cfg Config) Config {
	if cfg.BridgeName == "" {
		cfg.BridgeName = DefaultBridgeName
	}
	if cfg.TableName == "" {
		cfg.TableName = DefaultTableName
	}
	return cfg
}

// setupHost does the idempotent host-side work of New.
func (n *Network) setupHost() error {
	if err := os.MkdirAll(n.cfg.NetNSDir, 0o711); err != nil {
		return fmt.Errorf("netns dir: %w", err)
	}
	if err := n.ensureBridge(); err != nil {
		return err
	}
	if err := saveState(n.cfg.StateFile, n.cfg.BridgeName, n.subnet); err != nil {
		return err
	}
	if err := enableForwarding(); err != nil {
		return err
	}
	if err := enableRouteLocalnet(n.cfg.BridgeName); err != nil {
		return err
	}
	var err error
	if n.nft, err = nftables.New(nftables.AsLasting()); err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	n.rules = newRuleSet(n.cfg.TableName, n.cfg.BridgeName, n.subnet).withIsolation(n.cfg.BridgeName, n.vethPrefix(), n.cfg.Internal, !n.cfg.DisableICC).withBlockPrivate(n.cfg.BridgeName, n.cfg.BlockPrivate)
	if err := n.rules.program(n.nft); err != nil {
		return err
	}
	if err := n.rules.programBridge(n.nft); err != nil {
		return err
	}
	if n.subnet6 != nil {
		if err := n.setupIPv6(); err != nil {
			return err
		}
	}
	return n.rules.ensureForeign(n.nft)
}

// ensureBridge creates the bridge if needed (with a fixed MAC derived from
// the gateway so it never changes as ports come and go), sets the gateway
// address and brings it up.
func (n *Network) ensureBridge() error {
	link, err := n.h.LinkByName(n.cfg.BridgeName)
	var nf netlink.LinkNotFoundError
	switch {
	case errors.As(err, &nf):
		attrs := netlink.NewLinkAttrs()
		attrs.Name = n.cfg.BridgeName
		attrs.HardwareAddr = macFor(n.gateway)
		link = &netlink.Bridge{LinkAttrs: attrs}
		if err := n.h.LinkAdd(link); err != nil {
			return fmt.Errorf("create bridge %s: %w", n.cfg.BridgeName, err)
		}
		if link, err = n.h.LinkByName(n.cfg.BridgeName); err != nil {
			return fmt.Errorf("bridge %s: %w", n.cfg.BridgeName, err)
		}
	case err != nil:
		return fmt.Errorf("bridge %s: %w", n.cfg.BridgeName, err)
	case link.Type() != "bridge":
		return fmt.Errorf("%s exists and is a %s, not a bridge: %w", n.cfg.BridgeName, link.Type(), errdefs.ErrConflict)
	}
	n.bridge = link.Attrs().Index
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: n.gateway, Mask: n.subnet.Mask}}
	if err := n.h.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("address %s on %s: %w", addr.IPNet, n.cfg.BridgeName, err)
	}
	if err := n.h.LinkSetUp(link); err != nil {
		return fmt.Errorf("up %s: %w", n.cfg.BridgeName, err)
	}
	return nil
}

func enableForwarding() error {
	const p = "/proc/sys/net/ipv4/ip_forward"
	if b, err := os.ReadFile(p); err == nil && len(b) > 0 && b[0] == '1' {
		return nil
	}
	if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable ip_forward: %w", err)
	}
	return nil
}

// chooseGateway parses the configured gateway (it must be a host address
// of the subnet) or takes the subnet's first host address.
func chooseGateway(s string, subnet *net.IPNet) (net.IP, error) {
	if s == "" {
		return firstHost(subnet), nil
	}
	ip := net.ParseIP(s).To4()
	if ip == nil || !subnet.Contains(ip) || ip.Equal(subnet.IP) {
		return nil, fmt.Errorf("gateway %q is not a host address of %s: %w", s, subnet, errdefs.ErrInvalidArgument)
	}
	return ip, nil
}

// enableRouteLocalnet lets connections to ports published on 127.0.0.1
// be routed to the bridge (their source is 127.0.0.1 until masqueraded).
func enableRouteLocalnet(bridge string) error {
	p := "/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet"
	if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable route_localnet on %s: %w", bridge, err)
	}
	return nil
}

// Subnet returns the bridge's subnet.
func (n *Network) Subnet() *net.IPNet {
	return &net.IPNet{IP: append(net.IP(nil), n.subnet.IP...), Mask: append(net.IPMask(nil), n.subnet.Mask...)}
}

// Gateway returns the bridge's address, the containers' default gateway.
func (n *Network) Gateway() net.IP { return append(net.IP(nil), n.gateway...) }

// Name returns the bridge interface name.
func (n *Network) Name() string { return n.cfg.BridgeName }

// Close releases the netlink and nftables sockets; the bridge, rules and
// containers' namespaces stay.
func (n *Network) Close() error {
	if n.h != nil {
		n.h.Close()
	}
	if n.nft != nil {
		return n.nft.CloseLasting()
	}
	return nil
}

// Teardown deletes the bridge, Berth's nftables table and the accept rules
// inserted into ip filter FORWARD, then closes n. Containers' namespaces
// are not touched (Detach or Prune them first). Used by tests; the daemon
// keeps its network across restarts.
func (n *Network) Teardown(ctx context.Context) error {
	var errs []error
	if n.nft != nil {
		errs = append(errs, n.rules.removeForeign(n.nft), n.rules.deleteTable(n.nft), n.rules.deleteBridgeTable(n.nft),
			ruleSet6{table: n.cfg.TableName}.deleteTable(n.nft))
	}
	if link, err := n.h.LinkByName(n.cfg.BridgeName); err == nil {
		if err := n.h.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("delete bridge %s: %w", n.cfg.BridgeName, err))
		}
	}
	errs = append(errs, n.Close())
	return errors.Join(errs...)
}
