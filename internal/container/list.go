package container

import (
	"fmt"
	"github.com/berth-engine/berth/internal/filters"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// ListOptions are the query parameters of GET /containers/json.
type ListOptions struct {
	All     bool
	Limit   int
	Filters map[string][]string
}

var listFilters = map[string]bool{
	"id": true, "name": true, "label": true, "status": true, "exited": true,
	"ancestor": true, "before": true, "since": true, "network": true, "health": true,
	"volume": true,
}

// List returns the containers matching opts, newest first.
func (s *Service) List(opts ListOptions, ancestorOf func(ref string) (string, bool)) ([]*Container, error) {
	for k, vals := range opts.Filters {
		if !listFilters[k] {
			return nil, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
		if k == "status" {
			for _, v := range vals {
				if ctr.ValidateContainerState(ctr.ContainerState(v)) != nil {
					return nil, fmt.Errorf("invalid filter 'status=%s': %w", v, errdefs.ErrInvalidArgument)
				}
			}
		}
	}
	all := s.store.all()
	var before, since *Container
	for _, key := range []string{"before", "since"} {
		for _, v := range opts.Filters[key] {
			c, err := s.store.get(v)
			if err != nil {
				return nil, err
			}
			if key == "before" {
				before = c
			} else {
				since = c
			}
		}
	}
	var out []*Container
	for _, c := range all {
		st := c.snapshot()
		if !opts.All && !st.Running() && len(opts.Filters["status"]) == 0 && len(opts.Filters["exited"]) == 0 && before == nil && since == nil && opts.Limit <= 0 {
			continue
		}
		if before != nil && !c.Created.Before(before.Created) {
			continue
		}
		if since != nil && !c.Created.After(since.Created) {
			continue
		}
		if !matches(c, st, opts.Filters, ancestorOf) {
			continue
		}
		out = append(out, c)
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
	}
	return out, nil
}

func matches(c *Container, st State, f map[string][]string, ancestorOf func(string) (string, bool)) bool {
	return filters.AnyOf(f["id"], func(v string) bool { return strings.HasPrefix(c.ID, v) }) &&
		filters.AnyOf(f["name"], func(v string) bool { return strings.Contains(c.name(), strings.TrimPrefix(v, "/")) }) &&
		filters.AnyOf(f["status"], func(v string) bool { return string(st.display()) == v }) &&
		filters.AnyOf(f["exited"], func(v string) bool {
			n, err := strconv.Atoi(v)
			return err == nil && st.Status == ctr.StateExited && st.ExitCode == n
		}) &&
		filters.Labels(c.Config.Labels, f["label"]) &&
		filters.AnyOf(f["ancestor"], func(v string) bool {
			id, ok := ancestorOf(v)
			return (ok && id == c.ImageID) || c.Config.Image == v
		}) &&
		filters.AnyOf(f["network"], func(v string) bool { return networkName(c) == v }) &&
		filters.AnyOf(f["health"], func(v string) bool { return string(healthStatus(c, st)) == v }) &&
		filters.AnyOf(f["volume"], func(v string) bool { return mountsVolume(c, v) })
}

func networkName(c *Container) string {
	mode := string(c.hostConfig().NetworkMode)
	if mode == "" || mode == "default" {
		return "bridge"
	}
	return mode
}
