package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Remove deletes what New may have made for a network that has no
// Network value any more (a daemon killed while creating or removing it):
// the bridge bridgeName (only if it is a bridge), the ip, ip6 and bridge
// tables named table and the accept rules New inserted into ip filter
// FORWARD. What is absent is skipped; it is idempotent.
func Remove(ctx context.Context, bridgeName, table string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	rs := ruleSet{table: table, marker: "berth:" + bridgeName}
	errs := []error{rs.removeForeign(c), rs.deleteTable(c), rs.deleteBridgeTable(c), ruleSet6{table: table}.deleteTable(c)}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("netlink: %w", err))...)
	}
	defer h.Close()
	if link, err := h.LinkByName(bridgeName); err == nil && link.Type() == "bridge" {
		if err := h.LinkDel(link); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete bridge %s: %w", bridgeName, err))
		}
	}
	return errors.Join(errs...)
}
