// Package daemon is Berth's composition root and nothing more: it reads the
// configuration, builds the services in order (metadata, content, snapshots,
// images, network, containers, API server), restores what was running,
// serves, and shuts down without stopping containers.
package daemon
