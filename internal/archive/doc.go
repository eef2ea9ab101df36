// Package archive reads and writes layer tarballs: Apply extracts an
// uncompressed tar stream into a directory (translating OCI whiteouts either
// into overlayfs whiteouts or into deletions), Tar writes a directory back as
// a tar stream. Its subpackage decompress sniffs and undoes gzip, bzip2, xz
// and zstd compression.
//
// Extraction is the security boundary between image content and the host:
// nothing in a tar stream may create or change a file outside the target
// directory. Every path is resolved inside the directory with
// github.com/cyphar/filepath-securejoin (symlinks are evaluated as if the
// directory were the root), entries that cannot be resolved safely are
// rejected with errdefs.ErrInvalidArgument, device nodes are never created
// and only user.* and security.capability xattrs are restored.
//
// This package imports no other Berth package.
package archive
