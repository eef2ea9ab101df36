// Package shim is the per-container process behind `berth shim`: it runs the
// OCI runtime (runc run --detach), holds the container's stdio pipes or pty,
// copies output to the json-file log and to attached streams, reaps the
// container as a child subreaper, records its exit in <bundle>/exit.json and
// serves the protocol of internal/runtime on a unix socket.
//
// The shim is detached from the daemon (its own session) and must stay
// small: it imports internal/runtime (protocol, options), internal/logs and
// internal/atomicfile, and never net/http.
//
// Exit sequence, ordered for `docker run --rm`: container exits → output
// drained (pipes to EOF, pty to EIO) → log closed → attach streams ended →
// exit.json written → pending waits answered → runc delete --force → socket
// closed and removed → process exits.
package shim
