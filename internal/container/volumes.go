package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/volume"
	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// VolumeStore is the volume service as containers use it: volumes are
// created on demand at container create, mounted at start, released at
// exit and (anonymous ones) removed with the container.
type VolumeStore interface {
	Create(ctx context.Context, opts volume.CreateOptions) (*volume.Volume, error)
	Get(ctx context.Context, name string) (*volume.Volume, error)
	Path(name string) string
	Mount(ctx context.Context, name, user string) (string, error)
	Unmount(ctx context.Context, name, user string) error
	Remove(ctx context.Context, name string, force bool) error
}

// prepareMounts resolves the container's mounts in Docker's order of
// precedence: --volumes-from, then -v and --mount (which may not collide),
// then anonymous volumes for Config.Volumes and the image's VOLUMEs at
// destinations still free. Volumes are created as needed; on error the
// anonymous ones made here are removed again.
func (s *Service) prepareMounts(ctx context.Context, c *Container, img *image.Image) (retErr error) {
	byDest := map[string]*MountPoint{}
	if err := s.volumesFrom(c.HostConfig.VolumesFrom, byDest); err != nil {
		return err
	}
	if err := userMounts(c.HostConfig, byDest); err != nil {
		return err
	}
	dests := anonymousDests(c.Config, img)
	if len(dests) > 0 { // Docker shows the image's VOLUMEs in Config.Volumes too
		vols := map[string]struct{}{}
		for _, d := range dests {
			vols[d] = struct{}{}
		}
		c.Config.Volumes = vols
	}
	for _, dst := range dests {
		_, taken := byDest[dst]
		if _, tmpfs := c.HostConfig.Tmpfs[dst]; !taken && !tmpfs {
			byDest[dst] = &MountPoint{Type: mount.TypeVolume, Destination: dst, RW: true, CopyData: true}
		}
	}
	var created []string
	defer func() {
		if retErr != nil {
			for _, n := range created {
				_ = s.cfg.Volumes.Remove(context.WithoutCancel(ctx), n, true)
			}
		}
	}()
	for _, dst := range sortedKeys(byDest) {
		mp := byDest[dst]
		if err := s.resolveMount(ctx, mp, &created); err != nil {
			return err
		}
		c.MountPoints = append(c.MountPoints, mp)
	}
	return nil
}

// userMounts adds -v and --mount entries; the same destination twice is
// an error, as with Docker.
func userMounts(hc *ctr.HostConfig, byDest map[string]*MountPoint) error {
	seen := map[string]bool{}
	add := func(mp *MountPoint) error {
		if seen[mp.Destination] {
			return fmt.Errorf("Duplicate mount point: %s: %w", mp.Destination, errdefs.ErrInvalidArgument)
		}
		if _, ok := hc.Tmpfs[mp.Destination]; ok {
			return fmt.Errorf("Duplicate mount point: %s: %w", mp.Destination, errdefs.ErrInvalidArgument)
		}
		seen[mp.Destination] = true
		byDest[mp.Destination] = mp
		return nil
	}
	for _, b := range hc.Binds {
		mp, err := parseBind(b)
		if err != nil {
			return err
		}
		if err := add(mp); err != nil {
			return err
		}
	}
	for _, m := range hc.Mounts {
		mp, err := fromMount(m)
		if err != nil {
			return err
		}
		if err := add(mp); err != nil {
			return err
		}
	}
	return nil
}

func anonymousDests(cfg *ctr.Config, img *image.Image) []string {
	set := map[string]bool{}
	for d := range cfg.Volumes {
		set[path.Clean(d)] = true
	}
	if img != nil {
		for d := range img.Config.Config.Volumes {
			set[path.Clean(d)] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		if path.IsAbs(d) && d != "/" {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]*MountPoint) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// volumesFrom copies the mount points of other containers.
func (s *Service) volumesFrom(specs []string, byDest map[string]*MountPoint) error {
	for _, spec := range specs {
		ref, mode, err := parseVolumesFrom(spec)
		if err != nil {
			return err
		}
		src, err := s.store.get(ref)
		if errdefs.IsNotFound(err) { // 400: a 404 makes the docker CLI pull the image
			return fmt.Errorf("No such container: %s: %w", ref, errdefs.ErrInvalidArgument)
		}
		if err != nil {
			return err
		}
		for _, mp := range src.MountPoints {
			if mp.Type == mount.TypeTmpfs {
				continue
			}
			cp := *mp
			cp.CreateSource = false
			if mode != "" {
				cp.RW = mode == "rw"
			}
			byDest[cp.Destination] = &cp
		}
	}
	return nil
}

// resolveMount checks a bind source or creates/looks up a volume.
func (s *Service) resolveMount(ctx context.Context, mp *MountPoint, created *[]string) error {
	switch mp.Type {
	case mount.TypeBind:
		return checkBindSource(mp)
	case mount.TypeVolume:
		if s.cfg.Volumes == nil {
			return fmt.Errorf("volumes are not available: %w", errdefs.ErrNotImplemented)
		}
		if mp.Name != "" {
			if err := volume.ValidateName(mp.Name); err != nil {
				return err
			}
		}
		if d := mp.VolumeDriver; d != "" && d != "local" {
			// 400, not the 404 of volume create: the docker CLI takes a 404
			// from container create for a missing image and would pull.
			return fmt.Errorf("error looking up volume plugin %s: plugin %q not found: %w", d, d, errdefs.ErrInvalidArgument)
		}
		v, err := s.cfg.Volumes.Create(ctx, volume.CreateOptions{Name: mp.Name, Driver: mp.VolumeDriver, DriverOpts: mp.VolumeOpts, Labels: mp.VolumeLabels})
		if err != nil {
			return err
		}
		if mp.Name == "" {
			*created = append(*created, v.Name)
		}
		mp.Name, mp.Source = v.Name, s.cfg.Volumes.Path(v.Name)
	}
	return nil
}

func checkBindSource(mp *MountPoint) error {
	_, err := os.Stat(mp.Source)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("invalid mount config for type \"bind\": %v: %w", err, errdefs.ErrInvalidArgument)
	case !mp.CreateSource:
		return invalidMount(mount.TypeBind, "bind source path does not exist: %s", mp.Source)
	}
	if err := os.MkdirAll(mp.Source, 0o755); err != nil {
		return fmt.Errorf("error while creating mount source path '%s': %w", mp.Source, err)
	}
	return nil
}

// ReacquireVolumes re-registers the volume holds of containers still
// running after a daemon restart, so a volume with its own filesystem
// stays mounted until its last user really exits.
func (s *Service) ReacquireVolumes(ctx context.Context, running map[string]bool) {
	if s.cfg.Volumes == nil {
		return
	}
	for id := range running {
		c, err := s.store.get(id)
		if err != nil {
			continue
		}
		for _, mp := range c.MountPoints {
			if mp.Type != mount.TypeVolume {
				continue
			}
			if _, err := s.cfg.Volumes.Mount(ctx, mp.Name, c.ID); err != nil {
				s.log.Warn("reacquire volume", "container", ShortID(c.ID), "volume", mp.Name, "err", err)
			}
		}
	}
}

// VolumeUsers lists the containers that reference volume name.
func (s *Service) VolumeUsers(name string) []volume.User {
	var out []volume.User
	for _, c := range s.store.all() {
		for _, mp := range c.MountPoints {
			if mp.Type == mount.TypeVolume && mp.Name == name {
				st := c.snapshot()
				out = append(out, volume.User{ID: c.ID, Running: st.Running() || st.Status == ctr.StateRestarting})
				break
			}
		}
	}
	return out
}

// removeAnonVolumes removes the anonymous volumes of a removed container
// that no other container uses (rm -v, --rm).
func (s *Service) removeAnonVolumes(ctx context.Context, c *Container) {
	if s.cfg.Volumes == nil {
		return
	}
	for _, mp := range c.MountPoints {
		if mp.Type != mount.TypeVolume {
			continue
		}
		v, err := s.cfg.Volumes.Get(ctx, mp.Name)
		if err != nil || !v.Anonymous {
			continue
		}
		if err := s.cfg.Volumes.Remove(ctx, v.Name, false); err != nil && !errdefs.IsConflict(err) {
			s.log.Warn("remove anonymous volume", "container", ShortID(c.ID), "volume", v.Name, "err", err)
		}
	}
}

// joinInContainer resolves the container path p as securejoin does inside
// rootfs, except that a path at or under a volume or bind mount point is
// resolved inside that mount's source, so docker cp reaches the data the
// container sees there. rw is false for a read-only mount.
func joinInContainer(c *Container, rootfs, p string) (host string, rw bool, err error) {
	p = path.Clean("/" + p)
	var best *MountPoint
	for _, mp := range c.MountPoints {
		if mp.Type == mount.TypeTmpfs || mp.Source == "" {
			continue
		}
		if (p == mp.Destination || strings.HasPrefix(p, mp.Destination+"/")) && (best == nil || len(mp.Destination) > len(best.Destination)) {
			best = mp
		}
	}
	if best == nil {
		host, err = securejoin.SecureJoin(rootfs, p)
		return host, true, err
	}
	host, err = securejoin.SecureJoin(best.Source, strings.TrimPrefix(p, best.Destination))
	return host, best.RW, err
}

// mountsVolume is ps's volume filter: a volume name or a mount destination.
func mountsVolume(c *Container, v string) bool {
	for _, mp := range c.MountPoints {
		if mp.Name == v || mp.Destination == v || mp.Type == mount.TypeBind && mp.Source == v {
			return true
		}
	}
	return false
}

// apiMounts is the Mounts list of inspect and ps.
func apiMounts(c *Container) []ctr.MountPoint {
	out := []ctr.MountPoint{}
	for _, mp := range c.MountPoints {
		m := ctr.MountPoint{Type: mp.Type, Name: mp.Name, Source: mp.Source, Destination: mp.Destination, Mode: mp.Mode, RW: mp.RW, Propagation: mp.Propagation}
		switch mp.Type {
		case mount.TypeVolume:
			m.Driver = "local"
		case mount.TypeBind:
			if m.Propagation == "" {
				m.Propagation = mount.PropagationRPrivate
			}
		}
		out = append(out, m)
	}
	return out
}
