package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/berth-engine/berth/internal/archive"
)

// stageBind is a RUN --mount=type=bind,from=<stage|image>: its files are
// copied out of the image only when the step is not cached, into a
// private directory of the build that is bind-mounted and removed after
// the step. So the image is never changed, and with rw what the command
// writes there is discarded. A read-write bind of the build context gets
// a copy too (host): the context must stay as it was received.
type stageBind struct {
	mount  int    // index in runMounts.mounts
	image  string // image ID
	source string // path in the image ("" is /)
	host   string // or the context path to copy
}

// bindStages fills in the host side of the step's stage binds. The
// returned function removes what it extracted (also after an error).
func (j *job) bindStages(ctx context.Context, rm runMounts) (func(), error) {
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	for _, b := range rm.binds {
		dir, rmdir, err := j.scratchDir("bind-")
		if err != nil {
			return cleanup, err
		}
		cleanups = append(cleanups, rmdir)
		if b.host != "" {
			host, err := copyHost(ctx, b.host, dir)
			rm.mounts[b.mount].Source = host
			if err != nil {
				return cleanup, fmt.Errorf("RUN --mount: copy the context: %w", err)
			}
			continue
		}
		src := b.source
		if src == "" {
			src = "/"
		}
		err = j.withSource(ctx, b.image, func(cid string) error {
			host, err := j.extract(ctx, cid, src, dir)
			rm.mounts[b.mount].Source = host
			return err
		})
		if err != nil {
			return cleanup, fmt.Errorf("RUN --mount source %s: %w", src, err)
		}
	}
	return cleanup, nil
}

// copyHost copies the file or directory src into the new directory dst
// and returns the copy: dst itself for a directory, dst/<base> for a file.
func copyHost(ctx context.Context, src, dst string) (string, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return "", err
	}
	host, tarFn := filepath.Join(dst, filepath.Base(src)), archive.TarPath
	if fi.IsDir() {
		host, tarFn = dst, archive.Tar
		if err := os.Chmod(dst, fi.Mode().Perm()); err != nil {
			return "", err
		}
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarFn(ctx, src, pw)) }()
	_, err = archive.Apply(ctx, dst, pr, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply})
	pr.CloseWithError(err)
	return host, err
}
