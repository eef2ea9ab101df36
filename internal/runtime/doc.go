// Package runtime runs containers through an OCI runtime (runc by default)
// under a per-container shim, and is the daemon's client of that shim.
//
// Lifecycle of a container's shim, as the daemon sees it:
//
//  1. Start execs `<ShimBinary> shim <flags>` detached from the daemon (own
//     session, stdio on /dev/null) and blocks until the shim reports the
//     container's pid (runc run --detach succeeded) or runc's error, which
//     ExitCodeFromStartError maps to Docker's 125/126/127.
//  2. The container runs, but its output is held in its pipe or pty: the
//     daemon first connects the attach streams it needs (Attach), then calls
//     Release; only then does the shim copy output to the json-file log and to
//     attached streams, so an attached client sees every byte. Without a
//     Release the shim releases by itself after 3 s.
//  3. Kill, Resize, Attach and Wait work from any client; a restarted daemon
//     reconnects with Connect (the shim outlives the daemon).
//  4. On exit the shim drains the output, closes the log and the attach
//     streams, answers Wait and writes <bundle>/exit.json. It then runs
//     `runc delete --force` (runc state and cgroup gone), closes its socket and
//     exits: WaitClosed returns at that point, after which the daemon may
//     unmount the rootfs and remove the bundle. ReadExitStatus reads
//     exit.json when the shim is already gone.
//
// The wire protocol (protocol.go) is JSON lines over the shim's unix socket;
// an attach connection turns into a raw byte stream after its reply line.
// The shim side lives in runtime/shim; this package must not import it, nor
// net/http (the shim links this package and must stay small).
package runtime
