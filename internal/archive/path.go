package archive

import (
	"archive/tar"
	"context"
	"io"
	"io/fs"
	"path/filepath"
)

// TarPath writes the file, symlink or directory at src as an uncompressed
// tar stream whose top entry is named after src's base name, followed by
// what a directory holds (base/<rel>), as `docker cp` expects from the
// container archive API. Symlinks are stored, never followed, src included.
func TarPath(ctx context.Context, src string, w io.Writer) error {
	src = filepath.Clean(src)
	t := &tarrer{tw: tar.NewWriter(w), root: filepath.Dir(src), links: map[uint64]string{}}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return t.add(p)
	})
	if err != nil {
		return err
	}
	return t.tw.Close()
}
