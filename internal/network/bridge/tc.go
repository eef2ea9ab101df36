package bridge

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LimitBandwidth caps what the container on ep receives and sends at
// bitsPerSec with a token bucket (tc tbf) at the root of both ends of its
// veth: the host end shapes the traffic towards the container (its
// ingress), the end inside the netns its egress.
func (n *Network) LimitBandwidth(ctx context.Context, ep *Endpoint, bitsPerSec uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if bitsPerSec < 8000 {
		return fmt.Errorf("bandwidth %d bit/s: at least 8kbit: %w", bitsPerSec, errdefs.ErrInvalidArgument)
	}
	host, err := n.h.LinkByName(ep.HostVeth)
	if err != nil {
		return fmt.Errorf("bandwidth limit: %w", err)
	}
	if err := n.h.QdiscReplace(tbf(host.Attrs().Index, bitsPerSec)); err != nil {
		return fmt.Errorf("bandwidth limit on %s: %w", ep.HostVeth, err)
	}
	return n.onFreshThread(func() error {
		fd, err := unix.Open(ep.NetNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter netns: %w", err)
		}
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer h.Close()
		link, err := h.LinkByName(ep.IfName)
		if err != nil {
			return fmt.Errorf("bandwidth limit: %w", err)
		}
		if err := h.QdiscReplace(tbf(link.Attrs().Index, bitsPerSec)); err != nil {
			return fmt.Errorf("bandwidth limit on %s: %w", ep.IfName, err)
		}
		return nil
	})
}

// tbf is "tc qdisc replace dev <link> root tbf rate <r> burst <b> latency
// 50ms": a burst of 10 ms of traffic (at least 32 KiB, above any MTU).
func tbf(index int, bitsPerSec uint64) *netlink.Tbf {
	rate := bitsPerSec / 8
	burst := uint32(max(rate/100, 32*1024))
	return &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
		Rate:       rate,
		Limit:      uint32(rate/20) + burst, // 50 ms queue
		Buffer:     netlink.Xmittime(rate, burst),
	}
}
