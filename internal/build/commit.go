package build

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// commitMeta makes the child image of a config-only step (or reuses the
// cached one).
func (j *job) commitMeta(ctx context.Context, st *state, comment string, change func(*dockerspec.DockerOCIImageConfig) error) error {
	cfg := cloneConfig(st.cfg)
	if change != nil {
		if err := change(&cfg); err != nil {
			return err
		}
	}
	createdBy := "/bin/sh -c #(nop)  " + comment
	key, hit := j.probe(ctx, st, cfg, createdBy, "")
	if hit {
		return nil
	}
	img, err := j.b.be.Child(ctx, image.ChildOptions{Parent: st.id, Config: cfg, CreatedBy: createdBy, Author: st.author})
	if err != nil {
		return err
	}
	return j.done(st, img, key)
}

// probe looks the step up in the cache; on a hit st moves to the cached
// image. It returns the step's cache key.
func (j *job) probe(ctx context.Context, st *state, cfg dockerspec.DockerOCIImageConfig, createdBy, sum string) (string, bool) {
	if !j.opts.NoCache && j.followCacheFrom(ctx, st, cfg, createdBy, sum) {
		return "", true
	}
	key := stepKey(st.id, createdBy, st.author, cfg, sum)
	if j.opts.NoCache || j.b.cache == nil {
		return key, j.startCacheFrom(ctx, st, cfg, createdBy, sum)
	}
	id, ok := j.b.cache.Lookup(key)
	if !ok {
		return key, j.startCacheFrom(ctx, st, cfg, createdBy, sum)
	}
	img, err := j.b.be.Image(ctx, id.String())
	if err != nil { // the cached image was removed
		return key, j.startCacheFrom(ctx, st, cfg, createdBy, sum)
	}
	st.out.Stream(" ---> Using cache\n")
	j.hit(key)
	st.id, st.cfg = img.ID, cloneConfig(img.Config.Config)
	return key, true
}

// done moves st to the image a step made and remembers it in the cache.
func (j *job) done(st *state, img *image.Image, key string) error {
	st.id, st.cfg = img.ID, cloneConfig(img.Config.Config)
	if j.b.cache != nil {
		return j.b.cache.Store(key, img.ID)
	}
	return nil
}

// commitContainer stores container cid's changes as the step's image,
// without the paths in drop (the mount points of secrets).
func (j *job) commitContainer(ctx context.Context, st *state, cid string, cfg dockerspec.DockerOCIImageConfig, createdBy, key string, drop ...string) error {
	pr, pw := io.Pipe()
	go func() {
		if len(drop) == 0 {
			pw.CloseWithError(j.b.be.Changes(ctx, cid, pw))
			return
		}
		raw, rw := io.Pipe()
		go func() { rw.CloseWithError(j.b.be.Changes(ctx, cid, rw)) }()
		err := filterTar(raw, pw, drop)
		raw.CloseWithError(err)
		pw.CloseWithError(err)
	}()
	img, err := j.b.be.Child(ctx, image.ChildOptions{Parent: st.id, Config: cfg, Layer: pr, CreatedBy: createdBy, Author: st.author})
	pr.CloseWithError(err)
	if err != nil {
		return err
	}
	return j.done(st, img, key)
}

// expose adds the EXPOSE ports (port[-end][/proto]).
func (j *job) expose(st *state, c *instructions.ExposeCommand) (string, func(*dockerspec.DockerOCIImageConfig) error, error) {
	var ports []string
	for _, word := range c.Ports {
		words, err := st.lex.ProcessWords(word, st.env())
		if err != nil {
			return "", nil, fmt.Errorf("EXPOSE: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		for _, w := range words {
			p, err := expandPorts(w)
			if err != nil {
				return "", nil, err
			}
			ports = append(ports, p...)
		}
	}
	return "EXPOSE " + strings.Join(ports, " "), func(cfg *dockerspec.DockerOCIImageConfig) error {
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
		return nil
	}, nil
}

func expandPorts(s string) ([]string, error) {
	bad := fmt.Errorf("invalid containerPort: %s: %w", s, errdefs.ErrInvalidArgument)
	spec, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, bad
	}
	lo, hi, isRange := strings.Cut(spec, "-")
	first, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, bad
	}
	last := first
	if isRange {
		if last, err = strconv.ParseUint(hi, 10, 16); err != nil || last < first {
			return nil, bad
		}
	}
	var out []string
	for p := first; p <= last; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}

// filterTar copies the tar stream r to w without the entries named in drop.
func filterTar(r io.Reader, w io.Writer, drop []string) error {
	skip := map[string]bool{}
	for _, d := range drop {
		skip[strings.TrimPrefix(path.Clean("/"+d), "/")] = true
	}
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return err
		}
		if skip[strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")] {
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}
