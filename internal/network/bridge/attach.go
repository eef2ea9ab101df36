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
}

// Attach creates containerID's netns at NetNSDir/<id>, a veth pair with the
// host end on the bridge and the other end as eth0 in the netns (MAC derived
// from the address), brings lo and eth0 up, assigns the next free address
// and routes via the gateway. On failure nothing it made is left behind.
func (n *Network) Attach(ctx context.Context, containerID string) (*Endpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validID(containerID); err != nil {
		return nil, err
	}
	ip, err := n.reserve(containerID)
	if err != nil {
		return nil, err
	}
	ones, _ := n.subnet.Mask.Size()
	ep := &Endpoint{
		NetNSPath: n.netnsPath(containerID),
		IP:        ip,
		PrefixLen: ones,
		Gateway:   n.Gateway(),
		MAC:       macFor(ip),
		HostVeth:  vethName(containerID),
	}
	if err := n.onFreshThread(func() error { return n.plumb(ep) }); err != nil {
		n.release(containerID)
		return nil, fmt.Errorf("attach %s to %s: %w", containerID, n.cfg.BridgeName, err)
	}
	return ep, nil
}

func (n *Network) reserve(id string) (net.IP, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.owners[id]; ok {
		return nil, fmt.Errorf("container %s already attached to %s: %w", id, n.cfg.BridgeName, errdefs.ErrAlreadyExists)
	}
	ip, err := n.ipam.allocate()
	if err != nil {
		return nil, err
	}
	n.owners[id] = ip
	return ip, nil
}

func (n *Network) release(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ip, ok := n.owners[id]; ok {
		n.ipam.release(ip)
		delete(n.owners, id)
	}
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
	attrs := netlink.NewLinkAttrs()
	attrs.Name, attrs.MasterIndex, attrs.Flags = ep.HostVeth, n.bridge, net.FlagUp
	veth := &netlink.Veth{LinkAttrs: attrs, PeerName: "eth0", PeerHardwareAddr: ep.MAC, PeerNamespace: netlink.NsFd(nsfd)}
	if err := n.h.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	defer func() {
		if err != nil {
			_ = n.h.LinkDel(veth)
		}
	}()
	return configureInside(ep)
}

// configureInside sets up lo and eth0 in the netns the current thread is in.
func configureInside(ep *Endpoint) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE) // opened in this thread's netns
	if err != nil {
		return fmt.Errorf("netlink in netns: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	eth, err := h.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("eth0: %w", err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ep.IP, Mask: net.CIDRMask(ep.PrefixLen, 32)}}
	if err := h.AddrAdd(eth, addr); err != nil {
		return fmt.Errorf("eth0 address %s: %w", addr.IPNet, err)
	}
	if err := h.LinkSetUp(eth); err != nil {
		return fmt.Errorf("eth0 up: %w", err)
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
	if err := validID(containerID); err != nil {
		return err
	}
	var errs []error
	if link, err := n.h.LinkByName(vethName(containerID)); err == nil {
		if err := n.h.LinkDel(link); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete veth: %w", err))
		}
	}
	if err := removeNetNS(n.netnsPath(containerID)); err != nil {
		errs = append(errs, err)
	}
	n.release(containerID)
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
		keepVeth[vethName(id)] = true
	}
	links, err := n.h.LinkList()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("prune veths: %w", err))...)
	}
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && a.MasterIndex == n.bridge && strings.HasPrefix(a.Name, "vb") && !keepVeth[a.Name] {
			if err := n.h.LinkDel(l); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("delete veth %s: %w", a.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (n *Network) netnsPath(id string) string { return filepath.Join(n.cfg.NetNSDir, id) }

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
