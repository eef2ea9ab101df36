// Package server serves the Docker Engine API on Berth's sockets: the
// listener, API-version middleware, the route table, and the one place
// where errors become HTTP status codes (httputil.StatusFromError). Route
// groups live in router/<group>; each declares the small backend interface
// it needs. The server must not import engine implementations.
package server
