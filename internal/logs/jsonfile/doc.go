// Package jsonfile is the json-file log driver, compatible with Docker's:
// one JSON object per line, {"log":"hello\n","stream":"stdout","time":"…Z"},
// rotated by size into path, path.1, … path.N-1 (path.1 is the newest
// rotated file). Writer appends (used by the shim, the only writer of a
// container's log); Read streams messages back for `docker logs`, with tail,
// since/until and follow across rotation.
//
// Log files are append-only streams, not documents: they are not written
// through internal/atomicfile. A torn last line (crash mid-write) is skipped
// by Read. This package imports only internal/logs.
package jsonfile
