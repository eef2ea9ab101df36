package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// WhiteoutMode selects how OCI whiteout entries (.wh.<name>, .wh..wh..opq)
// are applied.
type WhiteoutMode int

const (
	// WhiteoutOverlay turns .wh.<name> into an overlayfs whiteout (a 0:0
	// character device) and .wh..wh..opq into the trusted.overlay.opaque=y
	// xattr on the directory, for a layer that is a diff directory.
	WhiteoutOverlay WhiteoutMode = iota
	// WhiteoutApply applies deletions to an existing tree: .wh.<name>
	// removes <name>, .wh..wh..opq removes the directory's content that
	// this layer did not add.
	WhiteoutApply
)

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// ApplyOptions tunes Apply.
type ApplyOptions struct {
	Whiteouts WhiteoutMode
}

// Apply extracts the uncompressed tar stream r into dir and returns the total
// size of the regular file content written. It reads r to EOF, so a digest
// computed over r covers the whole stream. It never creates or modifies
// anything outside dir (see the package comment).
func Apply(ctx context.Context, dir string, r io.Reader, opts ApplyOptions) (int64, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	a := &applier{root: root, opts: opts, added: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return a.size, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return a.size, fmt.Errorf("read tar: %w", err)
		}
		if err := a.entry(hdr, tr); err != nil {
			return a.size, fmt.Errorf("apply %q: %w", hdr.Name, err)
		}
	}
	if err := a.finishDirs(); err != nil {
		return a.size, err
	}
	// Drain the end-of-archive padding so callers hashing r see all of it.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return a.size, err
	}
	return a.size, nil
}

type applier struct {
	root  string
	opts  ApplyOptions
	size  int64
	added map[string]bool // absolute paths created by this layer (opaque dirs keep them)
	dirs  []*tar.Header   // directories whose metadata is set once their content is in
}

// resolve returns the host path for the tar name (absolute names are taken
// as relative to root, names whose ".." climb above it are rejected): its parent resolved
// inside root (symlinks evaluated as if root were /), plus the final
// component, which is never followed. rel is the cleaned relative name.
func (a *applier) resolve(name string) (p, rel string, err error) {
	rel = path.Clean(strings.TrimLeft(name, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", "", fmt.Errorf("path %q breaks out of the root: %w", name, errdefs.ErrInvalidArgument)
	}
	if rel == "." {
		return a.root, "", nil
	}
	dir, base := path.Split(rel)
	parent, err := securejoin.SecureJoin(a.root, dir)
	if err != nil {
		return "", "", fmt.Errorf("resolve %q: %v: %w", name, err, errdefs.ErrInvalidArgument)
	}
	if !inside(a.root, parent) {
		return "", "", fmt.Errorf("path %q escapes the root: %w", name, errdefs.ErrInvalidArgument)
	}
	return filepath.Join(parent, base), rel, nil
}

func inside(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

func (a *applier) entry(hdr *tar.Header, r io.Reader) error {
	p, rel, err := a.resolve(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "" { // the root itself: keep the target directory's metadata
		return nil
	}
	if base := filepath.Base(p); strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(filepath.Dir(p), base, hdr)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := a.clear(p, hdr); err != nil {
		return err
	}
	created, err := a.create(p, hdr, r)
	if err != nil || !created {
		return err
	}
	a.added[p] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		a.dirs = append(a.dirs, hdr)
		return nil
	case tar.TypeLink: // shares the inode whose metadata its first name set
		return nil
	}
	return setMetadata(p, hdr)
}

// clear removes what is at p unless both it and the entry are directories.
func (a *applier) clear(p string, hdr *tar.Header) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() && hdr.Typeflag == tar.TypeDir {
		return nil
	}
	return os.RemoveAll(p)
}

// create makes the filesystem object for hdr at p; created is false for
// skipped entries (devices, unknown metadata-only records).
func (a *applier) create(p string, hdr *tar.Header, r io.Reader) (created bool, err error) {
	switch hdr.Typeflag {
	case tar.TypeDir:
		err = os.Mkdir(p, 0o700)
		if errors.Is(err, os.ErrExist) {
			err = nil
		}
	case tar.TypeReg, tar.TypeRegA:
		err = a.writeFile(p, r)
	case tar.TypeSymlink:
		err = os.Symlink(hdr.Linkname, p)
	case tar.TypeLink:
		err = a.hardlink(p, hdr.Linkname)
	case tar.TypeFifo:
		err = unix.Mknod(p, unix.S_IFIFO|0o600, 0)
	case tar.TypeChar, tar.TypeBlock, tar.TypeXGlobalHeader:
		return false, nil
	default:
		return false, fmt.Errorf("unsupported tar entry type %q: %w", hdr.Typeflag, errdefs.ErrInvalidArgument)
	}
	return err == nil, err
}

func (a *applier) writeFile(p string, r io.Reader) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	a.size += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// hardlink links p to the tar name target, resolved inside root; the target
// itself is not followed, so a link to a symlink links the symlink.
func (a *applier) hardlink(p, target string) error {
	src, rel, err := a.resolve(target)
	if err != nil {
		return err
	}
	if rel == "" {
		return fmt.Errorf("hard link to the root: %w", errdefs.ErrInvalidArgument)
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("hard link target %q: %v: %w", target, err, errdefs.ErrInvalidArgument)
	}
	if fi.IsDir() {
		return fmt.Errorf("hard link target %q is a directory: %w", target, errdefs.ErrInvalidArgument)
	}
	return os.Link(src, p)
}

func (a *applier) whiteout(parent, base string, hdr *tar.Header) error {
	if base == whiteoutOpaque {
		return a.opaque(parent)
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid whiteout %q: %w", hdr.Name, errdefs.ErrInvalidArgument)
	}
	target := filepath.Join(parent, name)
	if a.opts.Whiteouts == WhiteoutApply {
		return os.RemoveAll(target)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(target); err != nil {
		return err
	}
	if err := unix.Mknod(target, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("create whiteout: %w", err)
	}
	a.added[target] = true
	return ignoreEPERM(unix.Lchown(target, hdr.Uid, hdr.Gid))
}

func (a *applier) opaque(dir string) error {
	if a.opts.Whiteouts == WhiteoutOverlay {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return unix.Lsetxattr(dir, "trusted.overlay.opaque", []byte("y"), 0)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if a.added[p] {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

// finishDirs sets directory metadata deepest first, after their content
// is written, so mtimes stick. A directory replaced meanwhile (by a later
// entry or through a symlink in its path) is skipped.
func (a *applier) finishDirs() error {
	for i := len(a.dirs) - 1; i >= 0; i-- {
		hdr := a.dirs[i]
		p, rel, err := a.resolve(hdr.Name)
		if err != nil || rel == "" {
			continue
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() || !a.added[p] {
			continue
		}
		if err := setMetadata(p, hdr); err != nil {
			return fmt.Errorf("apply %q: %w", hdr.Name, err)
		}
	}
	return nil
}
