package build

import (
	"context"
	"io"

	"github.com/berth-engine/berth/internal/image"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// Images is what the builder needs from the image service.
type Images interface {
	// Image resolves a reference or ID.
	Image(ctx context.Context, ref string) (*image.Image, error)
	// Child registers the image one step makes.
	Child(ctx context.Context, opts image.ChildOptions) (*image.Image, error)
	// Tag points ref at image id.
	Tag(ctx context.Context, id, ref string) error
	// DeleteImage deletes image id unless it is tagged or a container
	// uses it, returning whether it did and the image's size.
	DeleteImage(ctx context.Context, id string) (bool, int64, error)
	// Pull fetches ref from its registry, reporting progress.
	Pull(ctx context.Context, ref string, auth registry.AuthConfig, progress func(jsonstream.Message)) (*image.Image, error)
}

// Containers is what the builder needs from the container service. A
// build container's lifecycle: Create (from the current image), then Run
// (RUN) or Put (COPY/ADD), then Changes (the layer), then Remove.
type Containers interface {
	Create(ctx context.Context, cfg *ctr.Config, hc *ctr.HostConfig) (string, error)
	// Run starts container id, copies its stdout and stderr to out until it
	// exits and returns its exit code.
	Run(ctx context.Context, id string, out io.Writer) (int, error)
	// Put extracts the tar stream r at / of the container's filesystem,
	// resolving paths inside it.
	Put(ctx context.Context, id string, r io.Reader) error
	// Get writes path p of the container as a tar stream (its base name
	// as the top entry) and returns whether it is a directory.
	Get(ctx context.Context, id, p string, w io.Writer) (ctr.PathStat, error)
	// Stat describes path p in the container.
	Stat(ctx context.Context, id, p string) (ctr.PathStat, error)
	// Changes writes the container's filesystem changes as a layer tar.
	Changes(ctx context.Context, id string, w io.Writer) error
	Remove(ctx context.Context, id string) error
}

// Backend is the engine as the builder sees it.
type Backend interface {
	Images
	Containers
}
