package compose

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// ensureNetworks creates the project's networks that do not exist yet and
// checks that external ones do.
func (c *Compose) ensureNetworks(ctx context.Context, p *types.Project) error {
	for key, n := range p.Networks {
		if n.Name == "host" || n.Name == "none" || n.Name == "bridge" {
			continue
		}
		_, err := c.api.NetworkInspect(ctx, n.Name, client.NetworkInspectOptions{})
		if err == nil {
			continue
		}
		if !errdefs.IsNotFound(err) {
			return err
		}
		if n.External {
			return fmt.Errorf("network %s declared as external, but could not be found: %w", n.Name, errdefs.ErrNotFound)
		}
		opts, err := networkCreateOptions(p, key, n)
		if err != nil {
			return err
		}
		res, err := c.api.NetworkCreate(ctx, n.Name, opts)
		if err != nil && !errdefs.IsConflict(err) {
			return fmt.Errorf("network %s: %w", n.Name, err)
		}
		if j := journalOf(ctx); j != nil && err == nil {
			j.add(&j.nets, res.ID)
		}
		c.printf(" Network %s  Created", n.Name)
	}
	return nil
}

func networkCreateOptions(p *types.Project, key string, n types.NetworkConfig) (client.NetworkCreateOptions, error) {
	labels := map[string]string{LabelProject: p.Name, LabelNetwork: key, LabelVersion: Version}
	for k, v := range n.Labels {
		labels[k] = v
	}
	o := client.NetworkCreateOptions{
		Driver: n.Driver, Options: n.DriverOpts, Internal: n.Internal, Attachable: n.Attachable,
		Labels: labels, EnableIPv4: n.EnableIPv4, EnableIPv6: n.EnableIPv6,
	}
	if len(n.Ipam.Config) > 0 || n.Ipam.Driver != "" {
		o.IPAM = &network.IPAM{Driver: n.Ipam.Driver, Options: n.Ipam.Options}
		for _, pool := range n.Ipam.Config {
			cfg := network.IPAMConfig{}
			var err error
			if pool.Subnet != "" {
				if cfg.Subnet, err = netip.ParsePrefix(pool.Subnet); err != nil {
					return o, fmt.Errorf("network %s: subnet %q: %w", key, pool.Subnet, errdefs.ErrInvalidArgument)
				}
			}
			if pool.Gateway != "" {
				if cfg.Gateway, err = netip.ParseAddr(pool.Gateway); err != nil {
					return o, fmt.Errorf("network %s: gateway %q: %w", key, pool.Gateway, errdefs.ErrInvalidArgument)
				}
			}
			if pool.IPRange != "" {
				if cfg.IPRange, err = netip.ParsePrefix(pool.IPRange); err != nil {
					return o, fmt.Errorf("network %s: ip_range %q: %w", key, pool.IPRange, errdefs.ErrInvalidArgument)
				}
			}
			o.IPAM.Config = append(o.IPAM.Config, cfg)
		}
	}
	return o, nil
}

// ensureVolumes creates the project's named volumes that do not exist yet.
func (c *Compose) ensureVolumes(ctx context.Context, p *types.Project) error {
	for key, v := range p.Volumes {
		_, err := c.api.VolumeInspect(ctx, v.Name, client.VolumeInspectOptions{})
		if err == nil {
			continue
		}
		if !errdefs.IsNotFound(err) {
			return err
		}
		if v.External {
			return fmt.Errorf("external volume %q not found: %w", v.Name, errdefs.ErrNotFound)
		}
		labels := map[string]string{LabelProject: p.Name, LabelVolume: key, LabelVersion: Version}
		for k, val := range v.Labels {
			labels[k] = val
		}
		if _, err := c.api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: labels}); err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		if j := journalOf(ctx); j != nil {
			j.add(&j.vols, v.Name)
		}
		c.printf(" Volume %s  Created", v.Name)
	}
	return nil
}
