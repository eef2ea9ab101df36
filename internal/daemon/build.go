package daemon

import (
	"context"
	"fmt"
	"github.com/moby/sys/mountinfo"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-engine/berth/internal/build"
	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// builder returns the Dockerfile builder over the daemon's services, its
// cache in the metadata DB and its files under <data-root>/build. The
// cached step images may take a tenth of the data root's filesystem (at
// least 1 GiB); beyond that the least recently used go.
func (d *Daemon) builder() *build.Builder {
	opts := []build.Option{build.WithCacheCap(buildCacheCap(d.cfg.DataRoot))}
	mem := filepath.Join(d.cfg.ExecRoot, "build-contexts")
	if err := mountContextTmpfs(mem); err != nil {
		d.log.Warn("build contexts stay on disk", "err", err)
	} else {
		opts = append(opts, build.WithMemoryContexts(mem))
	}
	// The last context stays in memory for the next build (only what
	// changed is written again).
	if kept := filepath.Join(d.cfg.ExecRoot, "build-context-cache"); mountContextTmpfs(kept) == nil {
		opts = append(opts, build.WithContextCache(kept))
	}
	return build.New(buildBackend{d}, build.NewCache(d.db), filepath.Join(d.cfg.DataRoot, "build"), opts...)
}

// mountContextTmpfs mounts (or, after a crash, empties) the tmpfs that
// holds build contexts: an eighth of the machine's memory, at most 2 GiB.
// tmpfs only uses memory for what it holds.
func mountContextTmpfs(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// Our own mount point only: an exec root that is itself on a tmpfs
	// (/run usually is) must not be filled by a large context.
	if mounted, err := mountinfo.Mounted(dir); err == nil && mounted {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
		return nil
	}
	var si unix.Sysinfo_t
	size := int64(2 << 30)
	if err := unix.Sysinfo(&si); err == nil {
		size = min(size, int64(si.Totalram)*int64(si.Unit)/8)
	}
	return unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size))
}

func buildCacheCap(dir string) int64 {
	const floor = 1 << 30
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return floor
	}
	return max(int64(st.Blocks)*st.Bsize/10, floor)
}

// buildBackend joins the image and container services for the builder.
type buildBackend struct{ d *Daemon }

func (b buildBackend) Image(ctx context.Context, ref string) (*image.Image, error) {
	return b.d.images.Get(ctx, ref)
}

func (b buildBackend) Child(ctx context.Context, opts image.ChildOptions) (*image.Image, error) {
	return b.d.images.Child(ctx, opts)
}

// events is the image service publishing image events (tag, pull,
// delete), as the API's image calls do.
func (b buildBackend) events() imageEvents { return imageEvents{b.d.images, b.d.events} }

func (b buildBackend) Tag(ctx context.Context, id, ref string) error {
	return b.events().Tag(ctx, id, ref)
}

// DeleteImage deletes a cached image unless it is tagged or in use. The
// size reported is what the image added over its parent.
func (b buildBackend) DeleteImage(ctx context.Context, id string) (bool, int64, error) {
	img, err := b.d.images.Get(ctx, id)
	if err != nil {
		return false, 0, err
	}
	if len(img.RepoTags) > 0 || b.d.imageInUse(img.ID) != "" {
		return false, 0, nil
	}
	size := img.Size
	if img.Parent != "" {
		if p, err := b.d.images.Get(ctx, img.Parent.String()); err == nil {
			size -= p.Size
		}
	}
	// Untagged parents only this image used go with it; an image others
	// were built from stays until its last child goes (a conflict).
	if _, err := b.events().Delete(ctx, id, image.DeleteOptions{InUse: b.d.imageInUse}); err != nil {
		if errdefs.IsConflict(err) {
			return false, 0, nil
		}
		return false, 0, err
	}
	return true, size, nil
}

func (b buildBackend) Pull(ctx context.Context, ref string, auth registry.AuthConfig, progress func(jsonstream.Message)) (*image.Image, error) {
	return b.events().Pull(ctx, image.PullOptions{Ref: ref, Auth: auth, Progress: progress})
}

// PullPlatform pulls ref for platform (FROM --platform, build --platform).
func (b buildBackend) PullPlatform(ctx context.Context, ref, platform string, auth registry.AuthConfig, progress func(jsonstream.Message)) (*image.Image, error) {
	return b.events().Pull(ctx, image.PullOptions{Ref: ref, Platform: platform, Auth: auth, Progress: progress})
}

// The builder's optional backend features.
var (
	_ build.PlatformPuller = buildBackend{}
	_ build.LayerReader    = buildBackend{}
)

// LayerTar reads a layer back (the builder's --cache-from).
func (b buildBackend) LayerTar(ctx context.Context, diffID digest.Digest) (io.ReadCloser, error) {
	return b.d.images.LayerTar(ctx, diffID)
}

func (b buildBackend) Create(ctx context.Context, cfg *ctr.Config, hc *ctr.HostConfig) (string, error) {
	c, err := b.d.containers.Create(ctx, container.CreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// Run starts the container and follows its log (complete even when the
// process exits before the log is opened) until it exits.
func (b buildBackend) Run(ctx context.Context, id string, out io.Writer) (int, error) {
	exited, err := b.d.containers.Wait(ctx, id, ctr.WaitConditionNextExit)
	if err != nil {
		return 0, err
	}
	if err := b.d.containers.Start(ctx, id); err != nil {
		return 0, err
	}
	lr, err := b.d.containers.Logs(ctx, id, container.LogsOptions{Stdout: true, Stderr: true, Follow: true, Tail: -1})
	if err != nil {
		return 0, err
	}
	if err := lr.Run(ctx, func(_ string, line []byte, _ time.Time) error {
		_, err := out.Write(line)
		return err
	}); err != nil {
		return 0, err
	}
	select {
	case res, ok := <-exited:
		if !ok {
			return 0, ctx.Err()
		}
		return res.ExitCode, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (b buildBackend) Put(ctx context.Context, id string, r io.Reader) error {
	return b.d.containers.ArchivePut(ctx, id, "/", r)
}

func (b buildBackend) Get(ctx context.Context, id, p string, w io.Writer) (ctr.PathStat, error) {
	var st ctr.PathStat
	err := b.d.containers.ArchiveGet(ctx, id, p, func(s ctr.PathStat) io.Writer { st = s; return w })
	return st, err
}

func (b buildBackend) Stat(ctx context.Context, id, p string) (ctr.PathStat, error) {
	return b.d.containers.ArchiveStat(ctx, id, p)
}

func (b buildBackend) Changes(ctx context.Context, id string, w io.Writer) error {
	_, err := b.d.containers.WriteChanges(ctx, id, false, w)
	return err
}

func (b buildBackend) Remove(ctx context.Context, id string) error {
	return b.d.containers.Remove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
}
