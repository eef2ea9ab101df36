// Package events is the daemon's event bus: services publish lifecycle
// events (container create/start/die/…, image tag/delete/…) in the shape of
// the Docker API's events.Message, and GET /events subscribers receive the
// ones their filter accepts. A bounded ring of recent events answers
// `--since` queries.
//
// Publishing never blocks: a subscriber that falls too far behind is
// dropped (its channel is closed) instead of slowing the engine down.
//
// The package depends only on the API types; it must not import the
// services that publish to it nor the HTTP server.
package events
