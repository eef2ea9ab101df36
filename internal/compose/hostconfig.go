package compose

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

func hostConfig(p *types.Project, s types.ServiceConfig) (*container.HostConfig, error) {
	ports, err := portBindings(s)
	if err != nil {
		return nil, err
	}
	restart, err := restartPolicy(s)
	if err != nil {
		return nil, err
	}
	hc := &container.HostConfig{
		PortBindings: ports, RestartPolicy: restart, Privileged: s.Privileged,
		CapAdd: s.CapAdd, CapDrop: s.CapDrop, ReadonlyRootfs: s.ReadOnly, Init: s.Init,
		ExtraHosts: extraHosts(s.ExtraHosts), DNSSearch: s.DNSSearch, DNSOptions: s.DNSOpts,
		ShmSize: int64(s.ShmSize), Sysctls: s.Sysctls, SecurityOpt: s.SecurityOpt,
		GroupAdd: s.GroupAdd, IpcMode: container.IpcMode(s.Ipc), PidMode: container.PidMode(s.Pid),
		Resources: resources(s),
	}
	if s.NetworkMode != "" {
		hc.NetworkMode = container.NetworkMode(s.NetworkMode)
	}
	for _, d := range s.DNS {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, fmt.Errorf("dns %q: %w", d, errdefs.ErrInvalidArgument)
		}
		hc.DNS = append(hc.DNS, a)
	}
	if len(s.Tmpfs) > 0 {
		hc.Tmpfs = map[string]string{}
		for _, t := range s.Tmpfs {
			dst, opts, _ := strings.Cut(t, ":")
			hc.Tmpfs[dst] = opts
		}
	}
	if err := addVolumes(p, s, hc); err != nil {
		return nil, err
	}
	files, err := fileMounts(p, s)
	if err != nil {
		return nil, err
	}
	hc.Mounts = append(hc.Mounts, files...)
	return hc, nil
}

func restartPolicy(s types.ServiceConfig) (container.RestartPolicy, error) {
	if s.Restart == "" {
		return container.RestartPolicy{Name: container.RestartPolicyDisabled}, nil
	}
	name, count, _ := strings.Cut(s.Restart, ":")
	rp := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	switch rp.Name {
	case container.RestartPolicyDisabled, container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
	case container.RestartPolicyOnFailure:
		if count != "" {
			n, err := strconv.Atoi(count)
			if err != nil {
				return rp, fmt.Errorf("restart %q: %w", s.Restart, errdefs.ErrInvalidArgument)
			}
			rp.MaximumRetryCount = n
		}
	default:
		return rp, fmt.Errorf("restart %q: %w", s.Restart, errdefs.ErrInvalidArgument)
	}
	return rp, nil
}

func extraHosts(h types.HostsList) []string {
	var out []string
	for host, ips := range h {
		for _, ip := range ips {
			out = append(out, host+":"+ip)
		}
	}
	return out
}

// resources merges the service-level limits with deploy.resources.limits
// (the latter wins, as in Docker Compose).
func resources(s types.ServiceConfig) container.Resources {
	r := container.Resources{Memory: int64(s.MemLimit), NanoCPUs: int64(s.CPUS * 1e9), CPUShares: s.CPUShares}
	if s.PidsLimit != 0 {
		pl := s.PidsLimit
		r.PidsLimit = &pl
	}
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		l := s.Deploy.Resources.Limits
		if l.MemoryBytes != 0 {
			r.Memory = int64(l.MemoryBytes)
		}
		if l.NanoCPUs != 0 {
			r.NanoCPUs = int64(l.NanoCPUs.Value() * 1e9)
		}
		if l.Pids != 0 {
			pl := l.Pids
			r.PidsLimit = &pl
		}
	}
	if s.Deploy != nil && s.Deploy.Resources.Reservations != nil && s.Deploy.Resources.Reservations.MemoryBytes != 0 {
		r.MemoryReservation = int64(s.Deploy.Resources.Reservations.MemoryBytes)
	}
	for name, u := range s.Ulimits {
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		r.Ulimits = append(r.Ulimits, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	return r
}

// addVolumes maps the service's volumes: binds that may create their
// source go to Binds (as docker run -v), everything else to Mounts.
func addVolumes(p *types.Project, s types.ServiceConfig, hc *container.HostConfig) error {
	for _, v := range s.Volumes {
		switch v.Type {
		case types.VolumeTypeBind:
			if v.Bind == nil || bool(v.Bind.CreateHostPath) {
				if err := os.MkdirAll(v.Source, 0o755); err != nil && !os.IsExist(err) {
					return fmt.Errorf("bind source %s: %w", v.Source, err)
				}
			}
			m := mount.Mount{Type: mount.TypeBind, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Bind != nil && v.Bind.Propagation != "" {
				m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation)}
			}
			hc.Mounts = append(hc.Mounts, m)
		case types.VolumeTypeVolume:
			m := mount.Mount{Type: mount.TypeVolume, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Source != "" {
				m.Source = v.Source
				if vc, ok := p.Volumes[v.Source]; ok && vc.Name != "" {
					m.Source = vc.Name
				}
			}
			if v.Volume != nil {
				m.VolumeOptions = &mount.VolumeOptions{NoCopy: v.Volume.NoCopy, Subpath: v.Volume.Subpath}
			}
			hc.Mounts = append(hc.Mounts, m)
		case types.VolumeTypeTmpfs:
			m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Tmpfs != nil {
				m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
			}
			hc.Mounts = append(hc.Mounts, m)
		default:
			return fmt.Errorf("volume %s: type %q: %w", v.Target, v.Type, errdefs.ErrNotImplemented)
		}
	}
	return nil
}
