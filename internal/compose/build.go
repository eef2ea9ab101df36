package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// BuildOptions tune Build.
type BuildOptions struct {
	OnlyMissing bool     // build only services whose image does not exist
	NoCache     bool     // --no-cache
	Pull        bool     // --pull
	Services    []string // only these (default: all with a build section)
	Quiet       bool     // do not print the build output
}

// Build builds the images of the services that have a build section.
func (c *Compose) Build(ctx context.Context, p *types.Project, o BuildOptions) error {
	want := map[string]bool{}
	for _, s := range o.Services {
		want[s] = true
	}
	for _, name := range p.ServicesWithBuild() {
		s := p.Services[name]
		if len(want) > 0 && !want[name] {
			continue
		}
		image := ImageName(p, s)
		if o.OnlyMissing && c.imageID(ctx, image) != "" {
			continue
		}
		if err := c.buildService(ctx, p, s, o); err != nil {
			return fmt.Errorf("service %q: build: %w", name, err)
		}
		c.printf(" Image %s  Built", image)
	}
	return nil
}

func (c *Compose) buildService(ctx context.Context, p *types.Project, s types.ServiceConfig, o BuildOptions) error {
	b := s.Build
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if filepath.IsAbs(dockerfile) {
		rel, err := filepath.Rel(b.Context, dockerfile)
		if err != nil {
			return fmt.Errorf("dockerfile %s outside the context: %w", dockerfile, errdefs.ErrInvalidArgument)
		}
		dockerfile = rel
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarContext(b.Context, dockerfile, pw)) }()
	defer pr.Close()
	tags := append([]string{ImageName(p, s)}, b.Tags...)
	labels := map[string]string{LabelProject: p.Name, LabelService: s.Name}
	for k, v := range b.Labels {
		labels[k] = v
	}
	res, err := c.api.ImageBuild(ctx, pr, client.ImageBuildOptions{
		Tags: tags, Dockerfile: filepath.ToSlash(dockerfile), BuildArgs: map[string]*string(b.Args),
		Labels: labels, Target: b.Target, NoCache: o.NoCache || b.NoCache, PullParent: o.Pull || b.Pull,
		NetworkMode: b.Network, Remove: true, ExtraHosts: extraHosts(b.ExtraHosts), ShmSize: int64(b.ShmSize),
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out := io.Discard
	if !o.Quiet {
		out = c.out
	}
	return c.stream(res.Body, out)
}

// stream prints a JSON message stream (build, pull) and returns its error.
func (c *Compose) stream(r io.Reader, out io.Writer) error {
	return eachMessage(r, func(m jsonstream.Message) {
		if m.Stream != "" {
			c.mu.Lock()
			fmt.Fprint(out, m.Stream)
			c.mu.Unlock()
		}
	})
}

// eachMessage calls f for each message of a JSON message stream and
// returns the error the stream ends with (its own, or a decoding one).
func eachMessage(r io.Reader, f func(jsonstream.Message)) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != nil {
			return m.Error
		}
		f(m)
	}
}

// pullMissing pulls the images of services without a build section that
// are not present.
func (c *Compose) pullMissing(ctx context.Context, p *types.Project) error {
	for _, s := range p.Services {
		if s.Build != nil || s.Image == "" || c.imageID(ctx, s.Image) != "" {
			continue
		}
		if err := c.pull(ctx, s.Image); err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
	}
	return nil
}

func (c *Compose) pull(ctx context.Context, ref string) error {
	auth, err := c.registryAuth(ref)
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	c.printf(" Image %s  Pulling", ref)
	res, err := c.api.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: auth})
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	defer res.Close()
	if err := c.stream(res, io.Discard); err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	c.printf(" Image %s  Pulled", ref)
	return nil
}

// Pull pulls the images of the project's services (those with a build
// section are skipped unless they also name an image that exists remotely).
func (c *Compose) Pull(ctx context.Context, p *types.Project, ignoreFailures bool) error {
	var errs []error
	for _, s := range p.Services {
		if s.Image == "" {
			continue
		}
		if err := c.pull(ctx, s.Image); err != nil {
			if s.Build != nil || ignoreFailures {
				continue
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
