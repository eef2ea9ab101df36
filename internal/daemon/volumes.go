package daemon

import (
	"context"

	"github.com/berth-engine/berth/internal/volume"
	apivolume "github.com/moby/moby/api/types/volume"
)

// volumeUsers tells the volume store which containers reference a volume
// (the container records are the single source of truth).
func (d *Daemon) volumeUsers(name string) []volume.User {
	if d.containers == nil {
		return nil
	}
	return d.containers.VolumeUsers(name)
}

// VolumesDiskUsage lists every volume with its size and reference count
// for GET /system/df.
func (u diskUsage) VolumesDiskUsage(ctx context.Context) ([]apivolume.Volume, error) {
	vols, err := u.d.volumes.All(ctx)
	if err != nil {
		return nil, err
	}
	out := []apivolume.Volume{}
	for _, v := range vols {
		out = append(out, u.d.volumes.Info(v, true))
	}
	return out, nil
}

// restoreVolumes re-registers the volume holds of running containers, then
// unmounts volumes a crash left mounted with no user.
func (d *Daemon) restoreVolumes(ctx context.Context, running map[string]bool) {
	d.containers.ReacquireVolumes(ctx, running)
	d.volumes.UnmountUnused(ctx)
}
