// Package container owns container records and their lifecycle: the record
// and state machine (container.go), the name/ID index over the metadata DB
// (store.go), and the Service that creates, starts, stops, waits for,
// attaches to and removes containers (service.go and one file per verb).
//
// The Service reaches images, root filesystems, networks and the runtime
// only through the small interfaces declared in deps.go; it must not import
// the implementations (snapshot/overlay, network/bridge, …) nor the HTTP
// server.
package container
