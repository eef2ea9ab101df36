package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Endpoint is a container's attachment to the bridge.
type Endpoint struct {
	NetNSPath string // bind-mounted netns to give the OCI runtime
	IP        net.IP
	PrefixLen int
	Gateway   net.IP
	MAC       net.HardwareAddr
	HostVeth  string
	IfName    string // inside the netns: eth0, eth1, …
	// IPv6 (networks with Subnet6 only).
	IP6        net.IP
	PrefixLen6 int
	Gateway6   net.IP
}

// AttachOptions are the optional settings of an attachment.
type AttachOptions struct {
	IP  net.IP           // a fixed address in the subnet (--ip); nil = next free
	MAC net.HardwareAddr // nil = derived from the address (02:42:…)
	// NetNSReady: the netns was made already (PrepareNetNS); the endpoint
	// goes in as its first interface.
	NetNSReady bool
}

// Attach creates containerID's netns at NetNSDir/<id>, a veth pair with the
// host end on the bridge and the other end as eth0 in the netns (MAC derived
// from the address), brings lo and eth0 up, assigns the next free address
// and routes via the gateway. On failure nothing it made is left behind.
func (n *Network) Attach(ctx context.Context, containerID string) (*Endpoint, error) {
	return n.AttachWith(ctx, containerID, AttachOptions{})
}

// AttachWith is Attach with options.
func (n *Network) AttachWith(ctx context.Context, containerID string, opts AttachOptions) (*Endpoint, error) {
	return n.attach(ctx, containerID, "", "eth0", opts)
}

// Join adds an interface named ifname on this network to the existing
// netns at netnsPath (a container already attached elsewhere: network
// connect). No default route is added. Leave undoes it.
func (n *Network) Join(ctx context.Context, containerID, netnsPath, ifname string, opts AttachOptions) (*Endpoint, error) {
	if netnsPath == "" || ifname == "" || ifname == "lo" {
		return nil, fmt.Errorf("join %s: netns path and interface name required: %w", n.cfg.BridgeName, errdefs.ErrInvalidArgument)
	}
	return n.attach(ctx, containerID, netnsPath, ifname, opts)
}

// attach creates the netns when netnsPath is "" (Attach), else joins it.
func (n *Network) attach(ctx context.Context, containerID, netnsPath, ifname string, opts AttachOptions) (*Endpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validID(containerID); err != nil {
		return nil, err
	}
	ip, err := n.reserve(containerID, opts.IP)
	if err != nil {
		return nil, err
	}
	ones, _ := n.subnet.Mask.Size()
	ep := &Endpoint{
		NetNSPath: netnsPath,
		IP:        ip,
		PrefixLen: ones,
		Gateway:   n.Gateway(),
		MAC:       opts.MAC,
		HostVeth:  n.vethName(containerID),
		IfName:    ifname,
	}
	if ep.MAC == nil {
		ep.MAC = macFor(ip)
	}
	if n.subnet6 != nil {
		ep.IP6, ep.Gateway6 = n.v6For(ip), n.gateway6
		ep.PrefixLen6, _ = n.subnet6.Mask.Size()
	}
	plumb := func() error { return n.join(ep) }
	if netnsPath == "" {
		ep.NetNSPath = n.netnsPath(containerID)
		plumb = func() error { return n.plumb(ep) }
		if opts.NetNSReady {
			plumb = func() error { return n.plumbReady(ep) }
		}
	}
	if err := n.onFreshThread(plumb); err != nil {
		_ = n.release(containerID)
		return nil, fmt.Errorf("attach %s to %s: %w", containerID, n.cfg.BridgeName, err)
	}
	return ep, nil
}

func (n *Network) reserve(id string, want net.IP) (net.IP, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.owners[id]; ok {
		return nil, fmt.Errorf("container %s already attached to %s: %w", id, n.cfg.BridgeName, errdefs.ErrAlreadyExists)
	}
	var ip net.IP
	var err error
	if want != nil {
		err = n.ipam.claim(want)
		ip = want.To4()
	} else {
		ip, err = n.ipam.allocate()
	}
	if err != nil {
		return nil, err
	}
	n.owners[id] = ip
	return ip, nil
}

// release unpublishes id's ports and frees its address.
func (n *Network) release(id string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	err := n.unpublishLocked(id)
	if ip, ok := n.owners[id]; ok {
		n.ipam.release(ip)
		delete(n.owners, id)
	}
	return err
}

// Restore marks ip as allocated to containerID again (daemon restart:
// running containers keep their addresses).
func (n *Network) Restore(containerID string, ip net.IP) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ipam.mark(ip)
	n.owners[containerID] = append(net.IP(nil), ip.To4()...)
}

// onFreshThread runs f on a new OS thread that is thrown away afterwards:
// f may switch that thread's network namespace and never has to restore it,
// so no goroutine ever runs in a container's netns by accident.
func (n *Network) onFreshThread(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread exits with the goroutine
		errc <- f()
	}()
	return <-errc
}

// plumb runs on a throwaway thread: it moves the thread into a new netns,
// pins it at ep.NetNSPath, creates the veth pair from the host-side handle
// and configures the container side through a handle opened in the netns.
func (n *Network) plumb(ep *Endpoint) (err error) {
	if err := newNetNS(ep.NetNSPath); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			removeNetNS(ep.NetNSPath)
		}
	}()
	nsfd, err := unix.Open(ep.NetNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open netns: %w", err)
	}
	defer unix.Close(nsfd)
	if err := n.addVeth(ep, nsfd); err != nil {
		return err
	}
	if err := configureInside(ep, true); err != nil {
		_ = n.h.LinkDel(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: ep.HostVeth}})
		return err
	}
	return nil
}

// PrepareNetNS makes containerID's netns at its usual path, with nothing in
// it yet, for an AttachWith{NetNSReady} to fill: the OCI runtime can create
// the container in it while the veth is being made. Detach removes it.
func (n *Network) PrepareNetNS(ctx context.Context, containerID string) (string, error) {
	if err := validID(containerID); err != nil {
		return "", err
	}
	path := n.netnsPath(containerID)
	if err := n.onFreshThread(func() error { return newNetNS(path) }); err != nil {
		return "", fmt.Errorf("netns for %s: %w", containerID, err)
	}
	return path, nil
}

// plumbReady is plumb into the netns PrepareNetNS made.
func (n *Network) plumbReady(ep *Endpoint) error { return n.enter(ep, true) }

// join adds ep's interface to the existing netns at ep.NetNSPath.
func (n *Network) join(ep *Endpoint) error { return n.enter(ep, false) }

// enter runs on a throwaway thread: it creates ep's veth into the netns at
// ep.NetNSPath, enters it and configures the interface, and lo and the
// default route when first.
func (n *Network) enter(ep *Endpoint, first bool) error {
	nsfd, err := unix.Open(ep.NetNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open netns: %w", err)
	}
	defer unix.Close(nsfd)
	if err := n.addVeth(ep, nsfd); err != nil {
		return err
	}
	if err = unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
		err = fmt.Errorf("enter netns: %w", err)
	} else {
		err = configureInside(ep, first)
	}
	if err != nil {
		_ = n.h.LinkDel(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: ep.HostVeth}})
		return err
	}
	return nil
}

// addVeth creates the veth pair: host end on the bridge, peer named
// ep.IfName in the netns nsfd.
func (n *Network) addVeth(ep *Endpoint, nsfd int) error {
	attrs := netlink.NewLinkAttrs()
	attrs.Name, attrs.MasterIndex, attrs.Flags = ep.HostVeth, n.bridge, net.FlagUp
	veth := &netlink.Veth{LinkAttrs: attrs, PeerName: ep.IfName, PeerHardwareAddr: ep.MAC, PeerNamespace: netlink.NsFd(nsfd)}
	if err := n.h.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	return nil
}

// loIndex is the interface index of lo in a network namespace.
const loIndex = 1

// configureInside sets up lo (when first) and ep's interface in the netns
// the current thread is in, with the default route when first.
func configureInside(ep *Endpoint, first bool) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE) // opened in this thread's netns
	if err != nil {
		return fmt.Errorf("netlink in netns: %w", err)
	}
	defer h.Close()
	if first {
		// lo is the first device of every network namespace: index 1,
		// no lookup needed.
		lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", Index: loIndex}}
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("lo up: %w", err)
		}
	}
	eth, err := h.LinkByName(ep.IfName)
	if err != nil {
		return fmt.Errorf("%s: %w", ep.IfName, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ep.IP, Mask: net.CIDRMask(ep.PrefixLen, 32)}}
	if err := h.AddrAdd(eth, addr); err != nil {
		return fmt.Errorf("%s address %s: %w", ep.IfName, addr.IPNet, err)
	}
	if err := h.LinkSetUp(eth); err != nil {
		return fmt.Errorf("%s up: %w", ep.IfName, err)
	}
	if ep.IP6 != nil {
		if err := configureInside6(h, eth, ep, first); err != nil {
			return err
		}
	}
	if !first {
		return nil
	}
	route := &netlink.Route{LinkIndex: eth.Attrs().Index, Gw: ep.Gateway}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("default route via %s: %w", ep.Gateway, err)
	}
	return nil
}

// newNetNS moves the calling (locked, throwaway) thread into a new network
// namespace and bind-mounts it at path.
func newNetNS(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("netns %s: %w", path, errdefs.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("netns file: %w", err)
	}
	f.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		os.Remove(path)
		return fmt.Errorf("unshare netns: %w", err)
	}
	self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("bind-mount netns at %s: %w", path, err)
	}
	return nil
}

// removeNetNS unmounts and removes a netns file; absent is fine.
func removeNetNS(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("unmount netns %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove netns %s: %w", path, err)
	}
	return nil
}

// Detach deletes containerID's veth and netns and frees its address. It is
// idempotent.
func (n *Network) Detach(ctx context.Context, containerID string) error {
	err := n.Leave(ctx, containerID)
	if err != nil && errors.Is(err, errdefs.ErrInvalidArgument) {
		return err
	}
	return errors.Join(err, removeNetNS(n.netnsPath(containerID)))
}

// Leave deletes containerID's veth on this network, its published ports
// and its address; the netns stays (network disconnect). Idempotent.
func (n *Network) Leave(ctx context.Context, containerID string) error {
	if err := validID(containerID); err != nil {
		return err
	}
	var errs []error
	if link, err := n.h.LinkByName(n.vethName(containerID)); err == nil {
		if err := n.h.LinkDel(link); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete veth: %w", err))
		}
	}
	errs = append(errs, n.release(containerID))
	return errors.Join(errs...)
}

// Prune removes the netns files and the bridge's host veths that belong to
// containers not in keep (what a crash left behind).
func (n *Network) Prune(ctx context.Context, keep map[string]bool) error {
	var errs []error
	entries, err := os.ReadDir(n.cfg.NetNSDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("prune netns: %w", err)
	}
	for _, e := range entries {
		if !keep[e.Name()] && validID(e.Name()) == nil {
			errs = append(errs, n.Detach(ctx, e.Name()))
		}
	}
	keepVeth := make(map[string]bool, len(keep))
	for id := range keep {
		keepVeth[n.vethName(id)] = true
	}
	links, err := n.h.LinkList()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("prune veths: %w", err))...)
	}
	n.mu.Lock()
	errs = append(errs, n.syncPortsLocked()) // rules of gone containers
	n.mu.Unlock()
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && a.MasterIndex == n.bridge && strings.HasPrefix(a.Name, n.vethPrefix()) && !keepVeth[a.Name] {
			if err := n.h.LinkDel(l); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("delete veth %s: %w", a.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (n *Network) netnsPath(id string) string { return filepath.Join(n.cfg.NetNSDir, id) }

// vethName is vethName(id) on the default bridge; on user networks
// (Config.VethPrefix set) the prefix and 9 hex digits of a hash of the
// bridge name and ID, as one container has a veth on each network.
func (n *Network) vethName(id string) string {
	if n.cfg.VethPrefix == "" {
		return vethName(id)
	}
	sum := sha256.Sum256([]byte(n.cfg.BridgeName + "/" + id))
	return n.cfg.VethPrefix + hex.EncodeToString(sum[:])[:min(9, 15-len(n.cfg.VethPrefix))]
}

func (n *Network) vethPrefix() string {
	if n.cfg.VethPrefix == "" {
		return "vb"
	}
	return n.cfg.VethPrefix
}

// vethName is "vb" + the first 9 characters of the ID (a hash of it for IDs
// that are short or not made of interface-name-safe characters): 11 bytes,
// under IFNAMSIZ.
func vethName(id string) string {
	if len(id) >= 9 && strings.Trim(id[:9], "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == "" {
		return "vb" + id[:9]
	}
	sum := sha256.Sum256([]byte(id))
	return "vb" + hex.EncodeToString(sum[:])[:9]
}

func validID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
		return fmt.Errorf("container id %q: %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT)
}
