// Package build turns a Dockerfile and a tar build context into an image,
// as Docker's classic builder (POST /build) does.
//
// The Dockerfile is parsed with BuildKit's parser and instruction
// packages. Only the stages the target needs are built, each as soon as
// the stages it uses are done (independent stages build in parallel; the
// progress still reads as a sequential build). A stage is dispatched
// instruction by instruction: metadata instructions (ENV, CMD, LABEL…)
// make a child image without a layer; RUN runs a real container from the
// current image and commits its changes; COPY and ADD write the sources
// into a container's filesystem and commit those. Every step first probes the cache (a bbolt
// bucket keyed by parent image, instruction and the checksum of copied
// files), so an unchanged step reuses the image it made before.
//
// The context is a tar stream, or a remote context: a git repository the
// daemon clones with the git binary (git.go) or an http(s) URL of an
// archive or a Dockerfile (remotectx.go). --cache-from images serve as
// cache with the classic builder's semantics (cachefrom.go); --platform
// and FROM --platform choose base images and set the automatic platform
// ARGs (platform.go).
//
// The builder reaches images and containers only through Backend.
package build
