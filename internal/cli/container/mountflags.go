package container

import (
	"encoding/csv"
	"os"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/spf13/pflag"
)

// mountOptions are -v, --mount and --volumes-from.
type mountOptions struct {
	volumes     []string
	mounts      []string
	volumesFrom []string
}

func addMountFlags(fs *pflag.FlagSet, o *mountOptions) {
	command.StringListVarP(fs, &o.volumes, "volume", "v", "Bind mount a volume")
	command.StringListVar(fs, &o.mounts, "mount", "Attach a filesystem mount to the container")
	command.StringListVar(fs, &o.volumesFrom, "volumes-from", "Mount volumes from the specified container(s)")
}

// apply puts the mount flags into hc; -v entries go to Binds as given (the
// daemon treats a lone path as an anonymous volume).
func (o *mountOptions) apply(hc *container.HostConfig) error {
	hc.Binds = o.volumes
	hc.VolumesFrom = o.volumesFrom
	for _, spec := range o.mounts {
		m, err := parseMount(spec)
		if err != nil {
			return err
		}
		hc.Mounts = append(hc.Mounts, m)
	}
	return nil
}

// parseMount parses --mount's CSV form (type=…,source=…,target=…,…).
func parseMount(spec string) (mount.Mount, error) {
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return mount.Mount{}, command.InvalidArgument("invalid argument %q for \"--mount\" flag: %v", spec, err)
	}
	m := mount.Mount{Type: mount.TypeVolume}
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		if err := setMountField(&m, strings.ToLower(key), val, hasVal); err != nil {
			return mount.Mount{}, command.InvalidArgument("invalid argument %q for \"--mount\" flag: %v", spec, err)
		}
	}
	if m.Target == "" {
		return mount.Mount{}, command.InvalidArgument("invalid argument %q for \"--mount\" flag: target is required", spec)
	}
	return m, nil
}

func setMountField(m *mount.Mount, key, val string, hasVal bool) error {
	flag := func() (bool, error) {
		if !hasVal {
			return true, nil
		}
		return strconv.ParseBool(val)
	}
	var err error
	switch key {
	case "type":
		m.Type = mount.Type(strings.ToLower(val))
	case "source", "src":
		m.Source = val
	case "target", "dst", "destination":
		m.Target = val
	case "readonly", "ro":
		m.ReadOnly, err = flag()
	case "bind-propagation":
		bindOpts(m).Propagation = mount.Propagation(strings.ToLower(val))
	case "bind-nonrecursive", "bind-recursive":
		bindOpts(m).NonRecursive = key == "bind-nonrecursive" || val == "disabled"
	case "bind-create-src":
		bindOpts(m).CreateMountpoint, err = flag()
	case "volume-nocopy":
		volOpts(m).NoCopy, err = flag()
	case "volume-label":
		k, v, _ := strings.Cut(val, "=")
		o := volOpts(m)
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[k] = v
	case "volume-driver", "volume-opt":
		return setVolumeDriver(volOpts(m), key, val)
	case "tmpfs-size":
		var n int64
		n, err = units.RAMInBytes(val)
		tmpfsOpts(m).SizeBytes = n
	case "tmpfs-mode":
		var n uint64
		n, err = strconv.ParseUint(val, 8, 32)
		tmpfsOpts(m).Mode = os.FileMode(n)
	case "consistency":
		m.Consistency = mount.Consistency(val)
	default:
		return command.InvalidArgument("unexpected key '%s' in '%s'", key, key+"="+val)
	}
	return err
}

func setVolumeDriver(o *mount.VolumeOptions, key, val string) error {
	if o.DriverConfig == nil {
		o.DriverConfig = &mount.Driver{}
	}
	if key == "volume-driver" {
		o.DriverConfig.Name = val
		return nil
	}
	k, v, ok := strings.Cut(val, "=")
	if !ok {
		return command.InvalidArgument("invalid volume-opt %q", val)
	}
	if o.DriverConfig.Options == nil {
		o.DriverConfig.Options = map[string]string{}
	}
	o.DriverConfig.Options[k] = v
	return nil
}

func bindOpts(m *mount.Mount) *mount.BindOptions {
	if m.BindOptions == nil {
		m.BindOptions = &mount.BindOptions{}
	}
	return m.BindOptions
}

func volOpts(m *mount.Mount) *mount.VolumeOptions {
	if m.VolumeOptions == nil {
		m.VolumeOptions = &mount.VolumeOptions{}
	}
	return m.VolumeOptions
}

func tmpfsOpts(m *mount.Mount) *mount.TmpfsOptions {
	if m.TmpfsOptions == nil {
		m.TmpfsOptions = &mount.TmpfsOptions{}
	}
	return m.TmpfsOptions
}
