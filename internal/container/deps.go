package container

import (
	"context"

	"github.com/berth-engine/berth/internal/image"
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

// Networker connects a container to the default bridge: Attach makes a
// network namespace with an address; Detach undoes it and is idempotent.
type Networker interface {
	Attach(ctx context.Context, containerID string) (*Endpoint, error)
	Detach(ctx context.Context, containerID string) error
}
