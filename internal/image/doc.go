// Package image is the image service: import, pull, push, save, load,
// commit, prune, disk usage, resolve, list, tag, delete and history of images, and their conversion
// to the Docker API's image types. Registry access goes through
// internal/registry (WithRegistry).
//
// An image is its config blob: the image ID is the sha256 of the config
// bytes exactly as stored in the content store (for pulled images, exactly
// as the registry served them). Its filesystem is a chain of snapshot
// layers named by OCI chain ID, shared by every image whose chain contains
// them.
//
// Persistence (internal/metadata, schema v1):
//
//	images/<image-id>     → record (JSON): config digest, parent (the
//	                        image a commit was made from, optional; added
//	                        without a version bump: older records lack it),
//	                        RepoTags and
//	                        RepoDigests (normalized), diff IDs, chain IDs,
//	                        referenced blobs, created, size, last tag time
//	refs/<normalized-ref> → image ID (plain string), e.g.
//	                        "docker.io/library/busybox:latest" → "sha256:…"
//	diffids/<diff-id>     → diffInfo (JSON): the layer's unpacked and tar
//	                        sizes and the compressed blobs known to hold it
//	                        (with the repositories that have them), so
//	                        push compresses a layer once and save/history
//	                        know sizes; hints, checked before use
//
// Pull stores manifests and compressed layer blobs (record.Blobs) and
// unpacks layers from them; import, load and commit keep the uncompressed
// layer tar under its diff ID (a commit's record also lists its parent's
// layer tars, so it can be pushed and saved once the parent is gone); push
// adds the gzip blob it made.
//
// refs and the records' RepoTags/RepoDigests change in the same bbolt
// transaction. Metadata is written after the data it names (layers, blobs)
// and removed before it; GC at daemon start frees data that no record
// names, which is all an interrupted import or delete can leave.
//
// It imports internal/archive, internal/content/local, internal/metadata,
// internal/registry and internal/snapshot; nothing imports it but the
// daemon and API routers.
package image
