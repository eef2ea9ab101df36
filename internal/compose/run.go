package compose

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
)

// A one-off container (compose run) runs a service as Docker Compose v2
// does: the service is enabled even when its profile is not, its
// dependencies are converged as up converges them and their depends_on
// conditions awaited (unless NoDeps), and its own ports are published only
// with ServicePorts.

// runProject returns the part of p that `run service` needs (the service,
// and unless o.NoDeps what it depends on) and the service with run's
// overrides applied.
func runProject(p *types.Project, service string, o RunOptions) (*types.Project, types.ServiceConfig, error) {
	enabled, err := p.WithServicesEnabled(service)
	if err != nil {
		return nil, types.ServiceConfig{}, classify(err, errdefs.ErrNotFound)
	}
	var deps []types.DependencyOption
	if o.NoDeps {
		deps = append(deps, types.IgnoreDependencies)
	}
	sel, err := enabled.WithSelectedServices([]string{service}, deps...)
	if err != nil {
		return nil, types.ServiceConfig{}, classify(err, errdefs.ErrNotFound)
	}
	s, err := sel.GetService(service)
	if err != nil {
		return nil, types.ServiceConfig{}, classify(err, errdefs.ErrNotFound)
	}
	s, err = runService(sel, s, o)
	return sel, s, err
}

// runService applies run's flags to s; maps are copied, never shared with p.
func runService(p *types.Project, s types.ServiceConfig, o RunOptions) (types.ServiceConfig, error) {
	if o.ServicePorts && len(o.Publish) > 0 {
		return s, fmt.Errorf("--service-ports and --publish are incompatible: %w", errdefs.ErrInvalidArgument)
	}
	if !o.ServicePorts {
		s.Ports = nil
	}
	for _, spec := range o.Publish {
		pcs, err := types.ParsePortConfig(spec)
		if err != nil {
			return s, fmt.Errorf("invalid --publish %q: %v: %w", spec, err, errdefs.ErrInvalidArgument)
		}
		s.Ports = append(s.Ports, pcs...)
	}
	s.Environment = maps.Clone(s.Environment)
	if s.Environment == nil {
		s.Environment = types.MappingWithEquals{}
	}
	s.Environment.OverrideBy(types.NewMappingWithEquals(o.Env).Resolve(p.Environment.Resolve))
	s.Labels = maps.Clone(s.Labels)
	for _, l := range o.Labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return s, fmt.Errorf("label %q must be set as KEY=VALUE: %w", l, errdefs.ErrInvalidArgument)
		}
		s.Labels = s.Labels.Add(k, v)
	}
	for _, spec := range o.Volumes {
		v, err := runVolume(spec)
		if err != nil {
			return s, err
		}
		s.Volumes = append(s.Volumes, v)
	}
	s.CapAdd = append(append([]string(nil), s.CapAdd...), o.CapAdd...)
	s.CapDrop = append(append([]string(nil), s.CapDrop...), o.CapDrop...)
	s.Networks = runNetworks(s, o.UseAliases)
	return s, nil
}

// runVolume parses a -v value as docker run does; a relative bind source
// is relative to the current directory.
func runVolume(spec string) (types.ServiceVolumeConfig, error) {
	v, err := format.ParseVolume(spec)
	if err != nil {
		return v, fmt.Errorf("invalid --volume %q: %v: %w", spec, err, errdefs.ErrInvalidArgument)
	}
	if v.Type == types.VolumeTypeBind && !filepath.IsAbs(v.Source) {
		if v.Source, err = filepath.Abs(v.Source); err != nil {
			return v, err
		}
	}
	return v, nil
}

// runNetworks are the service's networks for a one-off container: without
// aliases, or with --use-aliases the service name and its configured ones.
func runNetworks(s types.ServiceConfig, useAliases bool) map[string]*types.ServiceNetworkConfig {
	if s.Networks == nil {
		return nil
	}
	out := make(map[string]*types.ServiceNetworkConfig, len(s.Networks))
	for name, sn := range s.Networks {
		n := types.ServiceNetworkConfig{}
		if sn != nil {
			n = *sn
		}
		aliases := n.Aliases
		n.Aliases = nil
		if useAliases {
			n.Aliases = append([]string{s.Name}, aliases...)
		}
		out[name] = &n
	}
	return out
}

// startDependencies converges the services s depends on (p holds s and
// them) as up does, then waits for s's depends_on conditions.
func (c *Compose) startDependencies(ctx context.Context, p *types.Project, s types.ServiceConfig, removeOrphans bool) error {
	deps := *p
	deps.Services = types.Services{}
	for name, svc := range p.Services {
		if name != s.Name {
			deps.Services[name] = svc
		}
	}
	deps.DisabledServices = maps.Clone(p.DisabledServices)
	if deps.DisabledServices == nil {
		deps.DisabledServices = types.Services{}
	}
	deps.DisabledServices[s.Name] = s
	if len(deps.Services) > 0 || removeOrphans {
		if err := c.converge(ctx, &deps, UpOptions{RemoveOrphans: removeOrphans}); err != nil {
			return err
		}
	}
	return c.waitDependencies(ctx, p, s)
}
