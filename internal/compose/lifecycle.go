package compose

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Ps lists the project's containers, optionally of some services: running
// ones, or with all also stopped ones and one-off (run) containers, as
// docker compose ps -a does.
func (c *Compose) Ps(ctx context.Context, project string, all bool, services ...string) ([]container.Summary, error) {
	ctrs, err := c.containers(ctx, project, all, services...)
	if err != nil || all {
		return ctrs, err
	}
	var running []container.Summary
	for _, ctr := range ctrs {
		if ctr.State == container.StateRunning || ctr.State == container.StateRestarting || ctr.State == container.StatePaused {
			running = append(running, ctr)
		}
	}
	return running, nil
}

// Start starts the existing containers of the services, in dependency order.
func (c *Compose) Start(ctx context.Context, p *types.Project, services ...string) error {
	return c.inOrder(ctx, p, false, services, func(ctx context.Context, ctr container.Summary) error {
		return c.startIfStopped(ctx, ctr)
	})
}

// Stop stops the services' containers, dependents first; without services,
// then also the project's containers of services not enabled now (profiles).
func (c *Compose) Stop(ctx context.Context, p *types.Project, timeout *int, services ...string) error {
	stop := func(ctx context.Context, ctr container.Summary) error {
		if _, err := c.api.ContainerStop(ctx, ctr.ID, client.ContainerStopOptions{Timeout: timeout}); err != nil {
			return err
		}
		c.printf(" Container %s  Stopped", containerName(ctr))
		return nil
	}
	if err := c.inOrder(ctx, p, true, services, stop); err != nil || len(services) > 0 {
		return err
	}
	ctrs, err := c.containers(ctx, p.Name, false)
	if err != nil {
		return err
	}
	var errs []error
	for _, ctr := range ctrs {
		if _, ok := p.Services[ctr.Labels[LabelService]]; !ok && ctr.State == container.StateRunning {
			errs = append(errs, stop(ctx, ctr))
		}
	}
	return errors.Join(errs...)
}

// Restart restarts the services' containers in dependency order.
func (c *Compose) Restart(ctx context.Context, p *types.Project, timeout *int, services ...string) error {
	return c.inOrder(ctx, p, false, services, func(ctx context.Context, ctr container.Summary) error {
		if _, err := c.api.ContainerRestart(ctx, ctr.ID, client.ContainerRestartOptions{Timeout: timeout}); err != nil {
			return err
		}
		c.printf(" Container %s  Started", containerName(ctr))
		return nil
	})
}

// inOrder applies fn to the containers of the selected services (all when
// none), services in dependency order (reversed when reverse).
func (c *Compose) inOrder(ctx context.Context, p *types.Project, reverse bool, services []string, fn func(context.Context, container.Summary) error) error {
	if err := checkServices(p, services); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	var opts []func(*graph.Options)
	if reverse {
		opts = append(opts, graph.InReverseOrder)
	}
	return graph.InDependencyOrder(ctx, p, func(ctx context.Context, name string, _ types.ServiceConfig) error {
		if len(want) > 0 && !want[name] {
			return nil
		}
		ctrs, err := c.containers(ctx, p.Name, false, name)
		if err != nil {
			return err
		}
		var errs []error
		for _, ctr := range ctrs {
			errs = append(errs, fn(ctx, ctr))
		}
		return errors.Join(errs...)
	}, opts...)
}

func checkServices(p *types.Project, services []string) error {
	for _, s := range services {
		if _, ok := p.Services[s]; !ok {
			return fmt.Errorf("no such service: %s: %w", s, errdefs.ErrNotFound)
		}
	}
	return nil
}

// serviceContainer returns container index (1-based) of service.
func (c *Compose) serviceContainer(ctx context.Context, project, service string, index int) (container.Summary, error) {
	ctrs, err := c.containers(ctx, project, false, service)
	if err != nil {
		return container.Summary{}, err
	}
	for _, ctr := range ctrs {
		if containerNumber(ctr.Labels) == index {
			return ctr, nil
		}
	}
	if index == 0 && len(ctrs) > 0 {
		return ctrs[0], nil
	}
	return container.Summary{}, fmt.Errorf("service %q is not running container #%d: %w", service, index, errdefs.ErrNotFound)
}

// ContainerID returns the ID of container index (1-based; 0: the first) of
// service.
func (c *Compose) ContainerID(ctx context.Context, project, service string, index int) (string, error) {
	ctr, err := c.serviceContainer(ctx, project, service, index)
	return ctr.ID, err
}

// Port returns the host address a container port of the service is
// published on ("" when not published).
func (c *Compose) Port(ctx context.Context, project, service string, index int, port uint16, proto string) (string, error) {
	ctr, err := c.serviceContainer(ctx, project, service, index)
	if err != nil {
		return "", err
	}
	for _, p := range ctr.Ports {
		if p.PrivatePort == port && string(p.Type) == proto && p.PublicPort != 0 {
			ip := "0.0.0.0"
			if p.IP.IsValid() {
				ip = p.IP.String()
			}
			return fmt.Sprintf("%s:%d", ip, p.PublicPort), nil
		}
	}
	return "", fmt.Errorf("no port %d/%s published for %s: %w", port, proto, containerName(ctr), errdefs.ErrNotFound)
}

// TopResult is the process list of one container.
type TopResult struct {
	Name   string
	Titles []string
	Procs  [][]string
}

// Top lists the processes of the project's running containers.
func (c *Compose) Top(ctx context.Context, project string, services ...string) ([]TopResult, error) {
	ctrs, err := c.Ps(ctx, project, false, services...)
	if err != nil {
		return nil, err
	}
	var out []TopResult
	for _, ctr := range ctrs {
		res, err := c.api.ContainerTop(ctx, ctr.ID, client.ContainerTopOptions{})
		if err != nil {
			return nil, err
		}
		out = append(out, TopResult{Name: containerName(ctr), Titles: res.Titles, Procs: res.Processes})
	}
	return out, nil
}

// ImageRow is one line of compose images.
type ImageRow struct {
	Container, Repository, Tag, ID string
	Size                           int64
	Created                        time.Time
}

// Images lists the images the project's containers use.
func (c *Compose) Images(ctx context.Context, project string, services ...string) ([]ImageRow, error) {
	ctrs, err := c.containers(ctx, project, false, services...)
	if err != nil {
		return nil, err
	}
	var rows []ImageRow
	for _, ctr := range ctrs {
		row := ImageRow{Container: containerName(ctr), ID: ctr.ImageID}
		row.Repository, row.Tag = splitTag(ctr.Image)
		if res, err := c.api.ImageInspect(ctx, ctr.ImageID); err == nil {
			row.Size = res.Size
			row.Created, _ = time.Parse(time.RFC3339Nano, res.Created)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func splitTag(ref string) (string, string) {
	for i := len(ref) - 1; i >= 0 && ref[i] != '/'; i-- {
		if ref[i] == ':' {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, "latest"
}
