package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// copyTree copies src to dst preserving file types (symlinks, hard links,
// fifos, device nodes), modes, owners, xattrs and times. Directory times
// are set after their content is copied.
func copyTree(ctx context.Context, src, dst string) error {
	c := &copier{src: src, dst: dst, links: map[uint64]string{}}
	if err := filepath.WalkDir(src, c.visit(ctx)); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	for i := len(c.dirs) - 1; i >= 0; i-- {
		if err := copyMetadata(c.dirs[i].from, c.dirs[i].to, c.dirs[i].st); err != nil {
			return err
		}
	}
	return nil
}

type dirMeta struct {
	from, to string
	st       *unix.Stat_t
}

type copier struct {
	src, dst string
	links    map[uint64]string // inode of a multiply-linked file -> its copy
	dirs     []dirMeta
}

func (c *copier) visit(ctx context.Context) fs.WalkDirFunc {
	return func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		to := filepath.Join(c.dst, strings.TrimPrefix(p, c.src))
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		return c.copyEntry(p, to, &st)
	}
}

func (c *copier) copyEntry(from, to string, st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := os.Mkdir(to, 0o700); err != nil {
			return err
		}
		c.dirs = append(c.dirs, dirMeta{from, to, st})
		return nil
	case unix.S_IFREG:
		if first, ok := c.links[st.Ino]; ok && st.Nlink > 1 {
			return os.Link(first, to)
		}
		if err := copyFile(from, to); err != nil {
			return err
		}
		if st.Nlink > 1 {
			c.links[st.Ino] = to
		}
	case unix.S_IFLNK:
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, to); err != nil {
			return err
		}
	case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
		if err := unix.Mknod(to, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	default: // sockets are not content
		return nil
	}
	return copyMetadata(from, to, st)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in) // copy_file_range: reflinks where the filesystem can
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func copyMetadata(from, to string, st *unix.Stat_t) error {
	if err := unix.Lchown(to, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, unix.EPERM) {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Chmod(to, st.Mode&0o7777); err != nil {
			return err
		}
	}
	copyXattrs(from, to)
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, to, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// copyXattrs copies every xattr it can; filesystems or privileges that
// refuse one are not an error (the layer content is what matters).
func copyXattrs(from, to string) {
	size, err := unix.Llistxattr(from, nil)
	if err != nil || size == 0 {
		return
	}
	buf := make([]byte, size)
	size, err = unix.Llistxattr(from, buf)
	if err != nil {
		return
	}
	for _, name := range strings.Split(string(buf[:size]), "\x00") {
		if name == "" {
			continue
		}
		n, err := unix.Lgetxattr(from, name, nil)
		if err != nil {
			continue
		}
		val := make([]byte, n)
		if n, err = unix.Lgetxattr(from, name, val); err == nil {
			_ = unix.Lsetxattr(to, name, val[:n], 0)
		}
	}
}

// syncFS flushes the filesystem holding dir.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
