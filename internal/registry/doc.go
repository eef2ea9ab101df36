// Package registry is Berth's distribution client: it talks to Docker
// registries (the OCI distribution API) for pull, push and login.
//
// A Client carries the daemon-wide settings (insecure registries, timeouts).
// Open returns a Session bound to one repository and one set of
// credentials; the session's HTTP transport has done the ping and the
// basic/bearer handshake (github.com/google/go-containerregistry's
// transport package), and its methods are plain distribution API calls:
// manifests, blobs (with HTTP range resume), uploads and existence checks.
//
// Scheme: https by default; plain http is allowed for loopback hosts
// (127.0.0.0/8, ::1, localhost) and for registries configured insecure
// (host[:port] or CIDR), which also accept unverified TLS certificates.
//
// Errors are classified with errdefs where they are born: an unknown
// repository or manifest is ErrNotFound with Docker's texts ("manifest
// unknown", "pull access denied for …"), rejected credentials are
// ErrUnauthenticated, a denied push is ErrPermissionDenied, and an
// unreachable or hanging registry is ErrUnavailable after a bounded timeout.
//
// It imports no other Berth package.
package registry
