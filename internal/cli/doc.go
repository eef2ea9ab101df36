// Package cli builds the `berth` command tree: a docker-compatible client of
// Berth's Engine API plus `berth daemon`, which runs the engine's binary,
// berth-daemon. Commands live in subpackages by group (container, image,
// system, volume, network; daemon is linked into berth-daemon) and follow the
// shape flags → options → client call → formatter. Shared plumbing (the
// client, streams, exit statuses) is in command; output formatting (tables,
// Go templates, units) is in format.
//
// Only cmd/ and internal/cli import cobra. The berth binary links no engine
// package (a test holds it to that): it starts once per command, and the
// engine's packages would double the CPU its start costs.
package cli
