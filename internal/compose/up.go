package compose

import (
	"context"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// UpOptions tune Up.
type UpOptions struct {
	Build         bool           // --build: build images before starting
	NoBuild       bool           // --no-build
	ForceRecreate bool           // --force-recreate
	NoRecreate    bool           // --no-recreate
	Scale         map[string]int // --scale service=n
	Wait          bool           // --wait: wait for running/healthy
	RemoveOrphans bool           // --remove-orphans: remove containers of services no longer defined
	NoRollback    bool           // keep what a failed up created (default: remove it)
	WaitTimeout   time.Duration  // --wait-timeout (0: none)
	NoStart       bool           // --no-start: create what is missing or changed, start nothing
	RenewAnon     bool           // --renew-anon-volumes: recreated containers get new anonymous volumes
}

// Up creates what the project needs and converges every service to its
// configuration: missing containers are created, containers whose
// config-hash or image changed are recreated, stopped ones are started.
// Everything is checked before anything is created.
func (c *Compose) Up(ctx context.Context, p *types.Project, o UpOptions) error {
	if o.ForceRecreate && o.NoRecreate {
		return fmt.Errorf("--force-recreate and --no-recreate are incompatible: %w", errdefs.ErrInvalidArgument)
	}
	if o.Build && o.NoBuild {
		return fmt.Errorf("--build and --no-build are incompatible: %w", errdefs.ErrInvalidArgument)
	}
	if err := applyScale(p, o.Scale); err != nil {
		return err
	}
	if err := validate(p); err != nil {
		return err
	}
	if !o.NoBuild {
		if err := c.Build(ctx, p, BuildOptions{OnlyMissing: !o.Build}); err != nil {
			return err
		}
	}
	if err := c.pullMissing(ctx, p); err != nil {
		return err
	}
	j := &journal{}
	if err := c.converge(withJournal(ctx, j), p, o); err != nil {
		if !o.NoRollback {
			c.rollback(ctx, j)
		}
		return err
	}
	if !o.Wait || o.NoStart {
		return nil
	}
	return c.wait(ctx, p, o.WaitTimeout)
}

// converge creates the networks and volumes and converges the services in
// dependency order.
func (c *Compose) converge(ctx context.Context, p *types.Project, o UpOptions) error {
	if err := c.ensureNetworks(ctx, p); err != nil {
		return err
	}
	if err := c.ensureVolumes(ctx, p); err != nil {
		return err
	}
	if err := c.handleOrphans(ctx, p, o.RemoveOrphans, nil); err != nil {
		return err
	}
	return graph.InDependencyOrder(ctx, p, func(ctx context.Context, _ string, s types.ServiceConfig) error {
		return c.convergeService(ctx, p, s, o)
	})
}

func applyScale(p *types.Project, scale map[string]int) error {
	for name, n := range scale {
		s, ok := p.Services[name]
		if !ok {
			return fmt.Errorf("no such service: %s: %w", name, errdefs.ErrNotFound)
		}
		s.SetScale(n)
		p.Services[name] = s
	}
	return nil
}

// validate converts every service once and rejects host ports published
// by two services, so a bad project fails before anything is created.
func validate(p *types.Project) error {
	published := map[string]string{}
	for _, s := range p.Services {
		if _, _, err := createOptions(p, s, 1, "", false); err != nil {
			return err
		}
		for _, pc := range s.Ports {
			if pc.Published == "" {
				continue
			}
			key := fmt.Sprintf("%s:%s/%s", pc.HostIP, pc.Published, proto(pc.Protocol))
			if other, ok := published[key]; ok && other != s.Name {
				return fmt.Errorf("services %q and %q both publish port %s: %w", other, s.Name, key, errdefs.ErrInvalidArgument)
			}
			if s.GetScale() > 1 {
				return fmt.Errorf("service %q publishes host port %s and has %d replicas: %w", s.Name, pc.Published, s.GetScale(), errdefs.ErrInvalidArgument)
			}
			published[key] = s.Name
		}
	}
	return nil
}

// convergeService brings service s to its configured state.
func (c *Compose) convergeService(ctx context.Context, p *types.Project, s types.ServiceConfig, o UpOptions) error {
	if !o.NoStart {
		if err := c.waitDependencies(ctx, p, s); err != nil {
			return err
		}
	}
	hash, err := ServiceHash(s)
	if err != nil {
		return err
	}
	imageID := c.imageID(ctx, ImageName(p, s))
	existing, err := c.containers(ctx, p.Name, false, s.Name)
	if err != nil {
		return err
	}
	want := s.GetScale()
	have := map[int]bool{}
	for _, ctr := range existing {
		n := containerNumber(ctr.Labels)
		switch {
		case n > want || have[n]:
			err = c.removeContainer(ctx, ctr, false, nil)
		case !o.NoRecreate && (o.ForceRecreate || ctr.Labels[LabelConfigHash] != hash || (imageID != "" && ctr.ImageID != imageID)):
			have[n] = true
			err = c.recreate(ctx, p, s, ctr, hash, o)
		case o.NoStart:
			have[n] = true
		default:
			have[n] = true
			err = c.startIfStopped(ctx, ctr)
		}
		if err != nil {
			return err
		}
	}
	for n := 1; n <= want; n++ {
		if !have[n] {
			if err := c.createAndStart(ctx, p, s, n, hash, !o.NoStart, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Compose) imageID(ctx context.Context, ref string) string {
	res, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return ""
	}
	return res.ID
}

// recreate replaces ctr with a new container of s; the new one keeps ctr's
// anonymous volumes unless o.RenewAnon.
func (c *Compose) recreate(ctx context.Context, p *types.Project, s types.ServiceConfig, ctr container.Summary, hash string, o UpOptions) error {
	var inherited map[string]mount.Mount
	if !o.RenewAnon {
		inherited = c.inheritedMounts(ctx, p, s, ctr)
	}
	if err := c.removeContainer(ctx, ctr, false, nil); err != nil {
		return err
	}
	c.printf(" Container %s  Recreate", containerName(ctr))
	return c.createAndStart(ctx, p, s, containerNumber(ctr.Labels), hash, !o.NoStart, func(co *client.ContainerCreateOptions) {
		inheritVolumes(co, inherited)
	})
}

func (c *Compose) startIfStopped(ctx context.Context, ctr container.Summary) error {
	if ctr.State == container.StateRunning || ctr.State == container.StateRestarting {
		c.printf(" Container %s  Running", containerName(ctr))
		return nil
	}
	if _, err := c.api.ContainerStart(ctx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", containerName(ctr), err)
	}
	c.printf(" Container %s  Started", containerName(ctr))
	return nil
}

// create makes container n of s (not started) and connects it to all its
// networks.
func (c *Compose) create(ctx context.Context, p *types.Project, s types.ServiceConfig, n int, hash string, oneoff bool, mutate func(*client.ContainerCreateOptions)) (string, error) {
	opts, extra, err := createOptions(p, s, n, hash, oneoff)
	if err != nil {
		return "", err
	}
	if mutate != nil {
		mutate(&opts)
	}
	res, err := c.api.ContainerCreate(ctx, opts)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", opts.Name, err)
	}
	if j := journalOf(ctx); j != nil {
		j.add(&j.ctrs, res.ID)
	}
	for name, ep := range extra {
		if err := c.connect(ctx, name, res.ID, ep); err != nil {
			return res.ID, err
		}
	}
	return res.ID, c.injectFiles(ctx, p, s, res.ID)
}

func (c *Compose) connect(ctx context.Context, net, id string, ep *network.EndpointSettings) error {
	_, err := c.api.NetworkConnect(ctx, net, client.NetworkConnectOptions{Container: id, EndpointConfig: ep})
	if err != nil {
		return fmt.Errorf("connect to network %s: %w", net, err)
	}
	return nil
}

// createAndStart creates container n of s (mutate, when not nil, adjusts
// the request) and, when start, starts it.
func (c *Compose) createAndStart(ctx context.Context, p *types.Project, s types.ServiceConfig, n int, hash string, start bool, mutate func(*client.ContainerCreateOptions)) error {
	name := ContainerName(p.Name, s, n)
	id, err := c.create(ctx, p, s, n, hash, false, mutate)
	if err != nil {
		return err
	}
	c.printf(" Container %s  Created", name)
	if !start {
		return nil
	}
	if _, err := c.api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c.printf(" Container %s  Started", name)
	return nil
}

// removeContainer stops (with timeout, nil: the container's own) and
// removes ctr, with its anonymous volumes when volumes.
func (c *Compose) removeContainer(ctx context.Context, ctr container.Summary, volumes bool, timeout *int) error {
	name := containerName(ctr)
	if ctr.State == container.StateRunning || ctr.State == container.StateRestarting || ctr.State == container.StatePaused {
		if _, err := c.api.ContainerStop(ctx, ctr.ID, client.ContainerStopOptions{Timeout: timeout}); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("stop %s: %w", name, err)
		}
		c.printf(" Container %s  Stopped", name)
	}
	_, err := c.api.ContainerRemove(ctx, ctr.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: volumes})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	c.printf(" Container %s  Removed", name)
	return nil
}
