package compose

import (
	"context"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

const pollInterval = 200 * time.Millisecond

// waitDependencies blocks until every depends_on condition of s holds.
func (c *Compose) waitDependencies(ctx context.Context, p *types.Project, s types.ServiceConfig) error {
	for dep, d := range s.DependsOn {
		if _, ok := p.Services[dep]; !ok {
			continue // optional dependency not in the project
		}
		var err error
		switch d.Condition {
		case types.ServiceConditionHealthy:
			err = c.poll(ctx, 0, func(ctx context.Context) (bool, error) { return c.serviceHealthy(ctx, p.Name, dep) })
		case types.ServiceConditionCompletedSuccessfully:
			err = c.poll(ctx, 0, func(ctx context.Context) (bool, error) { return c.serviceCompleted(ctx, p.Name, dep) })
		}
		if err != nil {
			return fmt.Errorf("service %q: dependency failed to start: %w", s.Name, err)
		}
		if d.Condition != types.ServiceConditionStarted && d.Condition != "" {
			c.printf(" Container %s  %s", dep, conditionWord(d.Condition))
		}
	}
	return nil
}

func conditionWord(cond string) string {
	if cond == types.ServiceConditionHealthy {
		return "Healthy"
	}
	return "Exited"
}

// poll calls check every pollInterval until it returns true or an error,
// or until timeout (0: none) or ctx ends.
func (c *Compose) poll(ctx context.Context, timeout time.Duration, check func(context.Context) (bool, error)) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	for {
		ok, err := check(ctx)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

func (c *Compose) inspectAll(ctx context.Context, project, service string) ([]container.InspectResponse, error) {
	list, err := c.containers(ctx, project, false, service)
	if err != nil {
		return nil, err
	}
	var out []container.InspectResponse
	for _, s := range list {
		res, err := c.api.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Container)
	}
	return out, nil
}

func (c *Compose) serviceHealthy(ctx context.Context, project, service string) (bool, error) {
	ctrs, err := c.inspectAll(ctx, project, service)
	if err != nil {
		return false, err
	}
	for _, ctr := range ctrs {
		name := trimSlash(ctr.Name)
		if ctr.State == nil || ctr.State.Health == nil {
			return false, fmt.Errorf("container %s has no healthcheck configured: %w", name, errdefs.ErrFailedPrecondition)
		}
		switch ctr.State.Health.Status {
		case container.Healthy:
		case container.Unhealthy:
			return false, fmt.Errorf("container %s is unhealthy: %w", name, errdefs.ErrFailedPrecondition)
		default:
			if ctr.State.Status == container.StateExited || ctr.State.Status == container.StateDead {
				return false, fmt.Errorf("container %s exited (%d): %w", name, ctr.State.ExitCode, errdefs.ErrFailedPrecondition)
			}
			return false, nil
		}
	}
	return len(ctrs) > 0, nil
}

func (c *Compose) serviceCompleted(ctx context.Context, project, service string) (bool, error) {
	ctrs, err := c.inspectAll(ctx, project, service)
	if err != nil {
		return false, err
	}
	for _, ctr := range ctrs {
		if ctr.State == nil || ctr.State.Status != container.StateExited {
			return false, nil
		}
		if ctr.State.ExitCode != 0 {
			return false, fmt.Errorf("service %q didn't complete successfully: exit %d: %w", service, ctr.State.ExitCode, errdefs.ErrFailedPrecondition)
		}
	}
	return true, nil
}

// wait is up --wait: every container running, and healthy when it has a
// health check.
func (c *Compose) wait(ctx context.Context, p *types.Project, timeout time.Duration) error {
	return c.poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		for name := range p.Services {
			ctrs, err := c.inspectAll(ctx, p.Name, name)
			if err != nil {
				return false, err
			}
			for _, ctr := range ctrs {
				if ok, err := ready(ctr); !ok || err != nil {
					return false, err
				}
			}
		}
		return true, nil
	})
}

func ready(ctr container.InspectResponse) (bool, error) {
	st := ctr.State
	if st == nil {
		return false, nil
	}
	if st.Status == container.StateExited || st.Status == container.StateDead {
		if st.ExitCode == 0 {
			return true, nil // one-shot services that completed
		}
		return false, fmt.Errorf("container %s exited (%d): %w", trimSlash(ctr.Name), st.ExitCode, errdefs.ErrFailedPrecondition)
	}
	if st.Health != nil {
		if st.Health.Status == container.Unhealthy {
			return false, fmt.Errorf("container %s is unhealthy: %w", trimSlash(ctr.Name), errdefs.ErrFailedPrecondition)
		}
		return st.Health.Status == container.Healthy, nil
	}
	return st.Status == container.StateRunning, nil
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}
