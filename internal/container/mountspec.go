package container

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
)

// MountPoint is one volume, bind or tmpfs mount of a container, resolved at
// create time and kept in the container record.
type MountPoint struct {
	Type         mount.Type
	Name         string `json:",omitempty"` // volume name
	Source       string `json:",omitempty"` // bind source or volume path
	Destination  string
	Mode         string `json:",omitempty"` // the user's option string
	RW           bool
	Propagation  mount.Propagation   `json:",omitempty"`
	CopyData     bool                `json:",omitempty"` // fill an empty volume from the image
	NonRecursive bool                `json:",omitempty"`
	Tmpfs        *mount.TmpfsOptions `json:",omitempty"`
	// Volume options for a volume created on demand (--mount volume-opt=).
	VolumeDriver string            `json:"-"`
	VolumeOpts   map[string]string `json:"-"`
	VolumeLabels map[string]string `json:"-"`
	// CreateSource: a -v bind whose missing source is created (Docker's
	// legacy behaviour); --mount refuses a missing source instead.
	CreateSource bool `json:"-"`
}

func invalidMount(t mount.Type, format string, a ...any) error {
	return fmt.Errorf("invalid mount config for type %q: %s: %w", t, fmt.Sprintf(format, a...), errdefs.ErrInvalidArgument)
}

// parseBind parses a -v / HostConfig.Binds entry: [source:]destination[:mode].
func parseBind(spec string) (*MountPoint, error) {
	parts := strings.Split(spec, ":")
	var src, dst, mode string
	switch len(parts) {
	case 1:
		dst = parts[0]
	case 2:
		src, dst = parts[0], parts[1]
	case 3:
		src, dst, mode = parts[0], parts[1], parts[2]
	default:
		return nil, fmt.Errorf("invalid volume specification: '%s': %w", spec, errdefs.ErrInvalidArgument)
	}
	if src == "" && len(parts) > 1 || dst == "" {
		return nil, fmt.Errorf("invalid volume specification: '%s': %w", spec, errdefs.ErrInvalidArgument)
	}
	mp := &MountPoint{Type: mount.TypeVolume, Destination: dst, Mode: mode, RW: true, CopyData: true}
	if strings.HasPrefix(src, "/") {
		mp.Type, mp.Source, mp.CreateSource, mp.CopyData = mount.TypeBind, path.Clean(src), true, false
	} else {
		mp.Name = src
	}
	if err := applyMode(mp, mode); err != nil {
		return nil, fmt.Errorf("invalid volume specification: '%s': %w", spec, err)
	}
	return mp, checkDestination(mp)
}

var propagations = []mount.Propagation{
	mount.PropagationPrivate, mount.PropagationRPrivate, mount.PropagationShared,
	mount.PropagationRShared, mount.PropagationSlave, mount.PropagationRSlave,
}

// applyMode applies -v's comma-separated mode words.
func applyMode(mp *MountPoint, mode string) error {
	if mode == "" {
		return nil
	}
	for _, w := range strings.Split(mode, ",") {
		switch {
		case w == "ro":
			mp.RW = false
		case w == "rw":
			mp.RW = true
		case w == "z" || w == "Z", w == "consistent", w == "cached", w == "delegated":
			// SELinux relabeling and macOS consistency: accepted, nothing to do.
		case w == "nocopy" && mp.Type == mount.TypeVolume:
			mp.CopyData = false
		case slices.Contains(propagations, mount.Propagation(w)) && mp.Type == mount.TypeBind:
			mp.Propagation = mount.Propagation(w)
		default:
			return fmt.Errorf("invalid mode: %s: %w", w, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

func checkDestination(mp *MountPoint) error {
	if !path.IsAbs(mp.Destination) {
		return invalidMount(mp.Type, "invalid mount path: '%s' mount path must be absolute", mp.Destination)
	}
	mp.Destination = path.Clean(mp.Destination)
	if mp.Destination == "/" {
		return invalidMount(mp.Type, "invalid specification: destination can't be '/'")
	}
	return nil
}

// fromMount converts a --mount / HostConfig.Mounts entry.
func fromMount(m mount.Mount) (*MountPoint, error) {
	mp := &MountPoint{Type: m.Type, Destination: m.Target, RW: !m.ReadOnly}
	if m.Target == "" {
		return nil, invalidMount(m.Type, "field Target must not be empty")
	}
	switch m.Type {
	case mount.TypeBind:
		if m.Source == "" {
			return nil, invalidMount(m.Type, "field Source must not be empty")
		}
		if !path.IsAbs(m.Source) {
			return nil, invalidMount(m.Type, "invalid mount path: '%s' mount path must be absolute", m.Source)
		}
		mp.Source = path.Clean(m.Source)
		if o := m.BindOptions; o != nil {
			mp.Propagation, mp.NonRecursive = o.Propagation, o.NonRecursive
			mp.CreateSource = o.CreateMountpoint
		}
	case mount.TypeVolume:
		mp.Name, mp.CopyData = m.Source, true
		if o := m.VolumeOptions; o != nil {
			if o.Subpath != "" {
				// Mounting a path inside a volume safely needs the source
				// pinned by file descriptor (a container sharing the volume
				// could swap it for a symlink); not done yet.
				return nil, fmt.Errorf("volume subpath is not supported: %w", errdefs.ErrNotImplemented)
			}
			mp.CopyData = !o.NoCopy
			mp.VolumeLabels = o.Labels
			if o.DriverConfig != nil {
				mp.VolumeDriver, mp.VolumeOpts = o.DriverConfig.Name, o.DriverConfig.Options
			}
		}
	case mount.TypeTmpfs:
		if m.Source != "" {
			return nil, invalidMount(m.Type, "field Source must not be specified")
		}
		mp.Tmpfs = m.TmpfsOptions
	default:
		return nil, invalidMount(m.Type, "mount type unknown")
	}
	return mp, checkDestination(mp)
}

// parseVolumesFrom parses "container[:ro|rw]".
func parseVolumesFrom(spec string) (ref, mode string, err error) {
	ref, mode, _ = strings.Cut(spec, ":")
	switch mode {
	case "", "ro", "rw":
		return ref, mode, nil
	}
	return "", "", fmt.Errorf("invalid mode for volumes-from: %s: %w", mode, errdefs.ErrInvalidArgument)
}
