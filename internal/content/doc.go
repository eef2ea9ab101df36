// Package content is the home of Berth's content-addressed blob store:
// manifests, image configs and layer tarballs stored once by digest and
// verified on the way in. The implementation on disk is content/local.
//
// Blobs are immutable: a blob is only visible under its digest after its
// bytes were hashed, fsynced and renamed into place, so a reader never sees
// partial content. This package imports no other Berth package.
package content
