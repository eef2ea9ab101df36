package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// A --from source (COPY --from, RUN --mount=type=bind,from=) is another
// stage's image or an image; its files are read through a stopped
// container created from it and, where they must be on the host (a bind
// mount, a wildcard to expand), extracted into a private directory of the
// build that is removed after the step.

// withSource runs fn with a (never started) container of image id.
func (j *job) withSource(ctx context.Context, id string, fn func(cid string) error) error {
	cid, err := j.b.be.Create(ctx, &ctr.Config{Image: id, Cmd: []string{"/bin/sh"}, Entrypoint: []string{}}, &ctr.HostConfig{NetworkMode: "none"})
	if err != nil {
		return err
	}
	defer func() { _ = j.b.be.Remove(context.WithoutCancel(ctx), cid) }()
	return fn(cid)
}

// follow resolves p in container cid through symlinks (at most 8) and
// returns the final path and its stat.
func (j *job) follow(ctx context.Context, cid, p string) (string, ctr.PathStat, error) {
	p = path.Clean("/" + p)
	for range 8 {
		st, err := j.b.be.Stat(ctx, cid, p)
		if err != nil {
			return "", st, err
		}
		if st.Mode&fs.ModeSymlink == 0 || st.LinkTarget == "" {
			return p, st, nil
		}
		t := st.LinkTarget
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(p), t)
		}
		p = path.Clean(t)
	}
	return "", ctr.PathStat{}, fmt.Errorf("%s: too many levels of symbolic links: %w", p, errdefs.ErrInvalidArgument)
}

// extract copies path p of container cid into the new directory dst and
// returns where it landed on the host: dst itself for a directory (its
// content, dst taking its mode), dst/<base> for a file.
func (j *job) extract(ctx context.Context, cid, p, dst string) (string, error) {
	p, st, err := j.follow(ctx, cid, p)
	if err != nil {
		return "", err
	}
	get, host := p, path.Join(dst, path.Base(p))
	if st.Mode.IsDir() {
		get, host = strings.TrimSuffix(p, "/")+"/.", dst
		if err := os.Chmod(dst, st.Mode.Perm()); err != nil {
			return "", err
		}
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := j.b.be.Get(ctx, cid, get, pw)
		pw.CloseWithError(err)
	}()
	_, err = archive.Apply(ctx, dst, pr, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply})
	pr.CloseWithError(err)
	if err != nil {
		return "", fmt.Errorf("copy %s: %w", p, err)
	}
	return host, nil
}

// scratchDir is a new private directory of the build (on disk: a stage's
// files may be large), removed by the returned function.
func (j *job) scratchDir(prefix string) (string, func(), error) {
	if err := os.MkdirAll(j.b.tmp, 0o700); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp(j.b.tmp, prefix)
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// unknownSource makes the error of a --from that is neither a stage nor an
// image that could be found or pulled clearer.
func unknownSource(from string, err error) error {
	if err == nil || strings.ContainsAny(from, "/:@.") {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("--from=%s: no stage named %s, and no such image: %w", from, from, err)
}
