package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Tar writes dir as an uncompressed tar stream: relative names, every
// directory before its content, symlinks stored as links (never followed),
// hard links as links to the first name seen, user.* and
// security.capability xattrs. Overlayfs whiteouts (0:0 character devices)
// become .wh.<name> entries and opaque directories get a .wh..wh..opq entry,
// so an overlay upper directory tars into an OCI layer diff.
func Tar(ctx context.Context, dir string, w io.Writer) error {
	return TarFiltered(ctx, dir, w, nil)
}

// TarFiltered is Tar leaving out every entry (and a directory's whole
// subtree) for which skip, given the slash-separated name relative to dir,
// returns true. A nil skip keeps everything.
func TarFiltered(ctx context.Context, dir string, w io.Writer, skip func(name string) bool) error {
	t := &tarrer{tw: tar.NewWriter(w), root: dir, links: map[uint64]string{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if skip != nil && skip(t.name(p)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return t.add(p)
	})
	if err != nil {
		return err
	}
	return t.tw.Close()
}

type tarrer struct {
	tw    *tar.Writer
	root  string
	links map[uint64]string // inode -> first name, for hard links
}

func (t *tarrer) add(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	name := t.name(p)
	st, _ := fi.Sys().(*syscall.Stat_t)
	if isWhiteout(fi, st) {
		dir, base := filepath.Split(name)
		return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dir + whiteoutPrefix + base, Mode: 0o600, ModTime: fi.ModTime()})
	}
	if fi.Mode()&os.ModeSocket != 0 {
		return nil
	}
	link := ""
	if fi.Mode()&os.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	if fi.IsDir() {
		hdr.Name += "/"
	}
	t.fillXattrs(p, hdr)
	if st != nil && fi.Mode().IsRegular() && st.Nlink > 1 {
		if first, ok := t.links[st.Ino]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			t.links[st.Ino] = name
		}
	}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if fi.IsDir() && isOpaque(p) {
		if err := t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name + "/" + whiteoutOpaque, Mode: 0o600, ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	return copyFile(t.tw, p, hdr.Size)
}

// name is p relative to the archived directory, slash-separated.
func (t *tarrer) name(p string) string {
	return filepath.ToSlash(strings.TrimPrefix(p, t.root+string(filepath.Separator)))
}

func copyFile(w io.Writer, p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s changed size while archiving", p)
	}
	return err
}

func isWhiteout(fi os.FileInfo, st *syscall.Stat_t) bool {
	return fi.Mode()&os.ModeCharDevice != 0 && st != nil && st.Rdev == 0
}

func isOpaque(p string) bool {
	buf := make([]byte, 2)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

func (t *tarrer) fillXattrs(p string, hdr *tar.Header) {
	names, err := listXattrs(p)
	if err != nil {
		return
	}
	for _, name := range names {
		if !allowedXattr(name) {
			continue
		}
		val, err := getXattr(p, name)
		if err != nil {
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[paxXattr+name] = string(val)
	}
}

func listXattrs(p string) ([]string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if errors.Is(err, unix.ERANGE) {
		if n, err = unix.Llistxattr(p, nil); err == nil {
			buf = make([]byte, n)
			n, err = unix.Llistxattr(p, buf)
		}
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range strings.Split(string(buf[:n]), "\x00") {
		if s != "" {
			names = append(names, s)
		}
	}
	return names, nil
}

func getXattr(p, name string) ([]byte, error) {
	n, err := unix.Lgetxattr(p, name, nil)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	n, err = unix.Lgetxattr(p, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
