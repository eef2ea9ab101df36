package daemon

import (
	"context"
	"io/fs"
	"path/filepath"

	ctr "github.com/moby/moby/api/types/container"
	apiimage "github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// diskUsage serves GET /system/df from the image and container services.
type diskUsage struct{ d *Daemon }

// ImagesDiskUsage counts each image's containers.
func (u diskUsage) ImagesDiskUsage(ctx context.Context) ([]apiimage.Summary, int64, error) {
	count := map[string]int64{}
	for _, c := range u.d.containers.All() {
		count[c.ImageID]++
	}
	return u.d.images.DiskUsage(ctx, func(id digest.Digest) int64 { return count[id.String()] })
}

// ContainersDiskUsage sizes each container's writable layer (SizeRw) and
// its whole filesystem (SizeRootFs: SizeRw plus the image).
func (u diskUsage) ContainersDiskUsage(ctx context.Context) ([]ctr.Summary, error) {
	out := []ctr.Summary{}
	for _, c := range u.d.containers.All() {
		s := u.d.containers.Summary(c)
		s.SizeRw = treeSize(filepath.Join(u.d.cfg.DataRoot, "containers", c.ID, "upper"))
		s.SizeRootFs = s.SizeRw
		if img, err := u.d.images.Get(ctx, c.ImageID); err == nil {
			s.SizeRootFs += img.Size
		}
		out = append(out, s)
	}
	return out, nil
}

// treeSize sums the sizes of the regular files under dir (0 if absent).
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
