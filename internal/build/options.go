package build

import (
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// Options is a build request (POST /build query parameters).
type Options struct {
	Dockerfile  string // path in the context; "Dockerfile" when empty
	Tags        []string
	BuildArgs   map[string]*string
	Labels      map[string]string
	Target      string
	NoCache     bool
	Remove      bool // remove intermediate containers (default true in the CLI)
	ForceRemove bool // remove them even when a step fails
	Quiet       bool
	NetworkMode string
	Pull        bool                           // pull base images even when present
	Auth        map[string]registry.AuthConfig // by registry host, for pulls
	Secrets     map[string][]byte              // by id, for RUN --mount=type=secret
	// RUN containers' limits and host settings (memory, cpu*, ulimits,
	// cgroupparent, shmsize, extrahosts).
	Resources  ctr.Resources
	ShmSize    int64
	ExtraHosts []string
	// Remote is a remote context (remote=): a git URL or the http(s) URL
	// of a tar archive or a Dockerfile; the request body is then unused.
	Remote string
	// CacheFrom names images accepted as cache sources (cachefrom=).
	CacheFrom []string
	// Platform is the target platform (platform=), "" for the host's.
	Platform string
}

// Output receives the build's progress, already in the classic builder's
// wording.
type Output interface {
	// Stream writes text for the user ({"stream": …}).
	Stream(text string)
	// Aux reports the built image ID ({"aux": {"ID": …}}).
	Aux(id string)
	// Progress relays a base image pull's progress message.
	Progress(m jsonstream.Message)
}
