// Package bridge is Berth's default bridge network: a Linux bridge (berth0
// by default) on a private IPv4 subnet picked free at first start, one veth
// pair and one bind-mounted network namespace per container, addresses
// from an in-memory IPAM, and NAT plus forwarding rules in an nftables
// table of Berth's own, programmed in-process over netlink.
//
// Lifecycle: New (idempotent at every daemon start: bridge, address,
// ip_forward, rules) → Restore for each container still running → Prune to
// drop what crashed containers left → Attach / Detach per container.
// Teardown removes everything New made (tests; the daemon keeps it).
//
// Where another engine's `ip filter FORWARD` chain (Docker with
// iptables-nft) drops forwarded traffic, New inserts two accept rules for
// the bridge into it, in the form iptables-nft writes, marked with a rule
// comment so they are found again, and Teardown removes them.
//
// It imports only atomicfile from Berth.
package bridge
