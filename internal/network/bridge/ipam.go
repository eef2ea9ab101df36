package bridge

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net"

	"github.com/containerd/errdefs"
)

// ipam hands out the addresses of one IPv4 subnet, lowest free first (as
// Docker's default IPAM does after a restart). The network and broadcast
// addresses and the gateway are never handed out. Not safe for concurrent
// use; Network serialises calls.
type ipam struct {
	base   uint32   // network address
	size   uint32   // number of addresses in the subnet
	used   []uint64 // bitmap, bit i = base+i
	lo, hi uint32   // allocate hands out indexes lo..hi only (--ip-range)
}

func newIPAM(subnet *net.IPNet, gateway net.IP) *ipam {
	ones, b := subnet.Mask.Size()
	size := uint32(1) << (b - ones)
	a := &ipam{base: ip4ToUint(subnet.IP), size: size, used: make([]uint64, (size+63)/64), hi: size - 1}
	a.set(0)
	a.set(size - 1)
	a.mark(gateway)
	return a
}

// allocate returns the lowest free address (in the range, when set).
func (a *ipam) allocate() (net.IP, error) {
	for w := a.lo / 64; w < uint32(len(a.used)); w++ {
		word := a.used[w]
		if w == a.lo/64 {
			word |= 1<<(a.lo%64) - 1 // below the range counts as used
		}
		if word == ^uint64(0) {
			continue
		}
		i := w*64 + uint32(bits.TrailingZeros64(^word))
		if i > a.hi || i >= a.size {
			break
		}
		a.set(i)
		return uintToIP4(a.base + i), nil
	}
	return nil, fmt.Errorf("no free address in %s: %w", uintToIP4(a.base), errdefs.ErrUnavailable)
}

// setRange restricts allocate to r (a sub-network of the subnet).
func (a *ipam) setRange(r *net.IPNet) error {
	lo, ok := a.index(r.IP)
	ones, b := r.Mask.Size()
	n := uint32(1) << (b - ones)
	if !ok || lo+n > a.size {
		return fmt.Errorf("ip range %s is not within the subnet: %w", r, errdefs.ErrInvalidArgument)
	}
	a.lo, a.hi = lo, lo+n-1
	return nil
}

// claim marks a specific address as used (--ip): it must be in the subnet
// and free.
func (a *ipam) claim(ip net.IP) error {
	i, ok := a.index(ip)
	if !ok || i == 0 || i == a.size-1 {
		return fmt.Errorf("address %s is not a host address of the network: %w", ip, errdefs.ErrInvalidArgument)
	}
	if a.used[i/64]&(1<<(i%64)) != 0 {
		return fmt.Errorf("address %s already in use: %w", ip, errdefs.ErrConflict)
	}
	a.set(i)
	return nil
}

// mark records ip as in use; addresses outside the subnet are ignored.
func (a *ipam) mark(ip net.IP) {
	if i, ok := a.index(ip); ok {
		a.set(i)
	}
}

// release frees ip (never the network, broadcast or gateway addresses: the
// caller only releases what allocate or mark handed it).
func (a *ipam) release(ip net.IP) {
	if i, ok := a.index(ip); ok && i != 0 && i != a.size-1 {
		a.used[i/64] &^= 1 << (i % 64)
	}
}

func (a *ipam) index(ip net.IP) (uint32, bool) {
	if ip.To4() == nil {
		return 0, false
	}
	i := ip4ToUint(ip) - a.base
	return i, i < a.size
}

func (a *ipam) set(i uint32) { a.used[i/64] |= 1 << (i % 64) }

func ip4ToUint(ip net.IP) uint32 { return binary.BigEndian.Uint32(ip.To4()) }

func uintToIP4(v uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, v)
	return ip
}
