// Package cli builds the `berth` command tree: a docker-compatible client of
// Berth's Engine API plus the `berth daemon` entry point. Commands live in
// subpackages by group (container, image, system, daemon) and follow the
// shape flags → options → client call → formatter. Shared plumbing (the
// client, streams, exit statuses) is in command; output formatting (tables,
// Go templates, units) is in format.
//
// Only cmd/ and internal/cli import cobra. Nothing here imports engine
// packages except internal/daemon, which the daemon subcommand runs.
package cli
