// Package bridge is one Berth bridge network: a Linux bridge (berth0 for
// the default network) on a private IPv4 subnet picked free at first start,
// one veth pair per container and network, bind-mounted network namespaces,
// addresses from an in-memory IPAM, and NAT, forwarding and port-publishing
// rules in an nftables table of the network's own, programmed in-process
// over netlink. User networks (package manager) are Networks too, with
// options: fixed gateway, ip range, internal, icc=false (a bridge-family
// table), blocked egress to private ranges.
//
// Lifecycle: New (idempotent at every daemon start: bridge, address,
// ip_forward, route_localnet, rules) → Restore / RestorePorts for each
// container still running → Prune to drop what crashed containers left
// (netns, veths, port rules) → per container Attach (new netns, eth0) or
// Join (ethN into an existing netns), Publish, LimitBandwidth, then Leave
// (interface only) or Detach (interface and netns). Teardown removes
// everything New made (tests, network rm; the daemon keeps its default
// network).
//
// Published ports are DNAT rules in the table's ports chain, reached from
// prerouting and output for local destinations ("fib daddr type local"),
// so 127.0.0.1, the host's addresses and other containers (hairpin, with
// masquerade) all work without a userland proxy; a bound socket per port
// keeps host processes off it. On networks with IPv6 the same happens in
// the ip6 table (a request without a host address is published on both
// families), and [::1] is served by stateless rewriting (ports6.go).
// Remove deletes what New made for a network known only by name (crash
// recovery).
//
// Where another engine's `ip filter FORWARD` chain (Docker with
// iptables-nft) drops forwarded traffic, New inserts accept rules for the
// bridge into it, in the form iptables-nft writes, marked with a rule
// comment so they are found again, and Teardown removes them.
//
// It imports only atomicfile from Berth.
package bridge
