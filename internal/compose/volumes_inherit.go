package compose

import (
	"context"
	"path"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// A recreated container keeps the anonymous volumes of the one it
// replaces, as Docker Compose does (unless up --renew-anon-volumes): those
// of the service's volumes without a source and of the image's VOLUMEs.
// The old container is removed without its volumes, and the new one mounts
// them by name.

// inheritedMounts are ctr's anonymous volume mounts that a new container
// of s inherits, by target.
func (c *Compose) inheritedMounts(ctx context.Context, p *types.Project, s types.ServiceConfig, ctr container.Summary) map[string]mount.Mount {
	anon := map[string]bool{}
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == "" {
			anon[path.Clean(v.Target)] = true
		}
	}
	if res, err := c.api.ImageInspect(ctx, ImageName(p, s)); err == nil && res.Config != nil {
		for v := range res.Config.Volumes {
			anon[path.Clean(v)] = true
		}
	}
	out := map[string]mount.Mount{}
	for _, m := range ctr.Mounts {
		dst := path.Clean(m.Destination)
		if m.Type == mount.TypeVolume && m.Name != "" && anon[dst] {
			out[dst] = mount.Mount{Type: mount.TypeVolume, Source: m.Name, Target: dst, ReadOnly: !m.RW}
		}
	}
	return out
}

// inheritVolumes makes the create request mount the inherited volumes: an
// anonymous volume of the service at the same target takes the old name,
// an image VOLUME no mount covers is added.
func inheritVolumes(co *client.ContainerCreateOptions, inherited map[string]mount.Mount) {
	if len(inherited) == 0 {
		return
	}
	hc := co.HostConfig
	covered := map[string]bool{}
	for i, m := range hc.Mounts {
		dst := path.Clean(m.Target)
		covered[dst] = true
		if old, ok := inherited[dst]; ok && m.Type == mount.TypeVolume && m.Source == "" {
			hc.Mounts[i].Source = old.Source
		}
	}
	for dst := range hc.Tmpfs {
		covered[path.Clean(dst)] = true
	}
	var add []mount.Mount
	for dst, m := range inherited {
		if !covered[dst] {
			add = append(add, m)
		}
	}
	sort.Slice(add, func(i, j int) bool { return add[i].Target < add[j].Target })
	hc.Mounts = append(hc.Mounts, add...)
}
