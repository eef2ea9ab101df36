package archive

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// Diff writes the layer that turns the tree base into the tree changed, as
// an uncompressed tar stream: entries of changed that are new or differ
// from base (type, mode, owner, size, modification time, link target), and
// a .wh.<name> whiteout for every entry of base that changed lacks. It is
// how a copying snapshotter commits a container, where no overlay upper
// directory records the changes. skip works as in TarFiltered.
func Diff(ctx context.Context, base, changed string, w io.Writer, skip func(name string) bool) error {
	t := &tarrer{tw: tar.NewWriter(w), root: changed, links: map[uint64]string{}}
	err := filepath.WalkDir(changed, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := ""
		if p != changed {
			name = t.name(p)
			if skip != nil && skip(name) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		return t.diffEntry(p, filepath.Join(base, filepath.FromSlash(name)), name, skip)
	})
	if err != nil {
		return err
	}
	return t.tw.Close()
}

// diffEntry adds p when it differs from old (the same name in base), and
// whiteouts for what a directory lost.
func (t *tarrer) diffEntry(p, old, name string, skip func(string) bool) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	ofi, err := os.Lstat(old)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if name != "" && (ofi == nil || changedEntry(p, old, fi, ofi)) {
		if err := t.add(p); err != nil {
			return err
		}
	}
	if ofi == nil || !fi.IsDir() || !ofi.IsDir() {
		return nil
	}
	return t.whiteoutsFor(p, old, name, skip)
}

// whiteoutsFor writes a whiteout for every entry of old missing from dir.
func (t *tarrer) whiteoutsFor(dir, old, name string, skip func(string) bool) error {
	entries, err := os.ReadDir(old)
	if err != nil {
		return err
	}
	for _, e := range entries {
		rel := path.Join(name, e.Name())
		if skip != nil && skip(rel) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, e.Name())); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		wh := path.Join(name, whiteoutPrefix+e.Name())
		if err := t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: wh, Mode: 0o600, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	return nil
}

// changedEntry compares two entries' metadata (never their content: a
// content change without a size or mtime change goes unnoticed, as in
// Docker's naive diff).
func changedEntry(p, old string, fi, ofi os.FileInfo) bool {
	if fi.Mode() != ofi.Mode() {
		return true
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	ost, _ := ofi.Sys().(*syscall.Stat_t)
	if st == nil || ost == nil {
		return true
	}
	if st.Uid != ost.Uid || st.Gid != ost.Gid || st.Rdev != ost.Rdev {
		return true
	}
	if fi.IsDir() {
		return st.Mtim != ost.Mtim
	}
	if fi.Size() != ofi.Size() || st.Mtim != ost.Mtim {
		return true
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		a, err1 := os.Readlink(p)
		b, err2 := os.Readlink(old)
		return err1 != nil || err2 != nil || a != b
	}
	return false
}
