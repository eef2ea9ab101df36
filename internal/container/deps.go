package container

import (
	"context"

	"github.com/berth-engine/berth/internal/image"
	"github.com/moby/moby/api/types/network"
)

// ImageStore resolves the image a container is created from.
type ImageStore interface {
	Get(ctx context.Context, refOrID string) (*image.Image, error)
}

// RootFS prepares and releases a container's writable root filesystem on
// top of its image's top layer (a subset of snapshot.Snapshotter).
type RootFS interface {
	Prepare(ctx context.Context, key, parent string) (string, error)
	Mount(ctx context.Context, key, parent string) (string, error)
	Unmount(ctx context.Context, key string) error
	Remove(ctx context.Context, key string) error
	Name() string
}

// Networker connects containers to networks. Attach (at start) makes a
// network namespace with an address on the container's network, plus an
// interface on every network it was connected to; Publish (after Attach)
// reserves host ports and forwards them to it, returning the ports bound;
// Detach (at stop) undoes both and is idempotent; Remove forgets the
// memberships of a deleted container. CheckNetwork validates a network
// name at create; Networks lists the user networks a container is a
// member of, as inspect shows them.
type Networker interface {
	// PrepareNetNS makes the default bridge's netns for containerID, for an
	// Attach with NetNSReady; Detach removes it.
	PrepareNetNS(ctx context.Context, containerID string) (string, error)
	Attach(ctx context.Context, req AttachRequest) (*Endpoint, error)
	Publish(ctx context.Context, containerID string, ports []PublishedPort) ([]PublishedPort, error)
	Detach(ctx context.Context, containerID string) error
	Remove(ctx context.Context, containerID string) error
	CheckNetwork(ctx context.Context, name string) error
	Networks(containerID string) map[string]*network.EndpointSettings
}
