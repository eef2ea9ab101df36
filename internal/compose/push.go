package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// PushOptions tune Push.
type PushOptions struct {
	Services       []string // only these (default: every service of the project)
	IgnoreFailures bool     // --ignore-push-failures: report failures, push the rest, succeed
	Quiet          bool     // -q: no progress output
}

// Push pushes the image of every service that is built and names its image
// (and the build's extra tags), as Docker Compose does; services without
// both are skipped. Different images are pushed concurrently, the tags of
// one image one after the other (the later ones find every layer there).
func (c *Compose) Push(ctx context.Context, p *types.Project, o PushOptions) error {
	groups := c.byImage(ctx, pushRefs(p, o.Services))
	var wg sync.WaitGroup
	errs := make([][]error, len(groups))
	for i, refs := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range refs {
				if err := c.pushImage(ctx, r.ref, o); err != nil {
					err = fmt.Errorf("service %q: push %s: %w", r.service, r.ref, err)
					if o.IgnoreFailures {
						c.printf(" Image %s  Push failed: %v", r.ref, err)
						continue
					}
					errs[i] = append(errs[i], err)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(slices.Concat(errs...)...)
}

// byImage groups refs by the image they name, keeping their order (a
// reference that does not resolve is a group of its own; its push fails).
func (c *Compose) byImage(ctx context.Context, refs []pushRef) [][]pushRef {
	var groups [][]pushRef
	index := map[string]int{}
	for _, r := range refs {
		key := r.ref
		if res, err := c.api.ImageInspect(ctx, r.ref); err == nil && res.ID != "" {
			key = res.ID
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

// pushRef is one reference to push and the service it belongs to.
type pushRef struct{ service, ref string }

// pushRefs lists, in service order, the references Push pushes.
func pushRefs(p *types.Project, only []string) []pushRef {
	want := map[string]bool{}
	for _, s := range only {
		want[s] = true
	}
	names := make([]string, 0, len(p.Services))
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	var refs []pushRef
	for _, name := range names {
		s := p.Services[name]
		if (len(want) > 0 && !want[name]) || s.Build == nil || s.Image == "" {
			continue
		}
		refs = append(refs, pushRef{name, s.Image})
		for _, t := range s.Build.Tags {
			refs = append(refs, pushRef{name, t})
		}
	}
	return refs
}

func (c *Compose) pushImage(ctx context.Context, ref string, o PushOptions) error {
	auth, err := c.registryAuth(ref)
	if err != nil {
		return err
	}
	c.printf(" Image %s  Pushing", ref)
	res, err := c.api.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		return err
	}
	defer res.Close()
	if err := c.pushProgress(res, ref, o.Quiet); err != nil {
		return err
	}
	c.printf(" Image %s  Pushed", ref)
	return nil
}

// pushProgress prints a push's per-layer status lines (not the byte
// counts) and returns the error the stream ends with.
func (c *Compose) pushProgress(r io.Reader, ref string, quiet bool) error {
	return eachMessage(r, func(m jsonstream.Message) {
		if quiet || m.ID == "" || m.Status == "" || m.Progress != nil && m.Progress.Current > 0 {
			return
		}
		c.printf("   %s %s  %s", ref, m.ID, m.Status)
	})
}
