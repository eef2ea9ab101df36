// Package manager holds Berth's user-defined networks: each is a Linux
// bridge driven by package bridge (its own nftables table, IPAM, optional
// internal / icc=false isolation) plus an embedded DNS server on its
// gateway address that resolves the names, aliases and short IDs of the
// containers on the querier's networks and forwards every other query to
// the host's resolvers.
//
// Records are JSON files, one per network, under Config.StateDir, written
// atomically at every change; they hold the network's settings and its
// endpoints (container ID, name, aliases, requested and current address).
// An endpoint without an address belongs to a container that is not
// running: it is attached again at the container's next start.
//
// Create and Remove write an intent (Record.State) before they change the
// host, so New removes what a crash in the middle left. The daemon's
// default bridge is a predefined member network (Config.Default): the
// manager records and attaches the containers connected to it with
// network connect, with Docker's rules for it (no DNS, aliases or --ip).
//
// Lifecycle: New (recreate every recorded network's bridge and rules,
// start its DNS) → Restore (running containers keep their addresses,
// endpoints of others are marked detached, leftovers pruned) → Create /
// Remove / Attach / Join / Leave / Forget → Close (stops the DNS servers;
// bridges stay for the containers that outlive the daemon).
package manager
