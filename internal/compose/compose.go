package compose

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// API is the part of the Engine API client compose uses.
type API = client.APIClient

// Compose runs projects against one daemon. Progress lines go to Out.
type Compose struct {
	api  API
	mu   sync.Mutex // serialises writes to out
	out  io.Writer
	auth func(ref string) (string, error)
}

// Option configures a Compose.
type Option func(*Compose)

// WithRegistryAuth makes pulls and pushes send the X-Registry-Auth value
// auth returns for the image reference (the CLI's stored credentials).
func WithRegistryAuth(auth func(ref string) (string, error)) Option {
	return func(c *Compose) { c.auth = auth }
}

// New returns a Compose using api that reports progress on out.
func New(api API, out io.Writer, opts ...Option) *Compose {
	c := &Compose{api: api, out: out}
	for _, o := range opts {
		o(c)
	}
	return c
}

// registryAuth is the X-Registry-Auth value for ref ("" without WithRegistryAuth).
func (c *Compose) registryAuth(ref string) (string, error) {
	if c.auth == nil {
		return "", nil
	}
	return c.auth(ref)
}

// printf writes one progress line.
func (c *Compose) printf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format+"\n", a...)
}

// containers lists the project's containers (all states), optionally of
// some services only, sorted by service then number.
func (c *Compose) containers(ctx context.Context, project string, oneoff bool, services ...string) ([]container.Summary, error) {
	res, err := c.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: projectFilter(project, oneoff)})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	var items []container.Summary
	for _, it := range res.Items {
		if len(want) == 0 || want[it.Labels[LabelService]] {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		si, sj := items[i].Labels[LabelService], items[j].Labels[LabelService]
		if si != sj {
			return si < sj
		}
		return containerNumber(items[i].Labels) < containerNumber(items[j].Labels)
	})
	return items, nil
}

// containerName is a summary's name without the leading slash.
func containerName(s container.Summary) string {
	if len(s.Names) == 0 {
		return s.ID[:12]
	}
	n := s.Names[0]
	if len(n) > 0 && n[0] == '/' {
		n = n[1:]
	}
	return n
}
