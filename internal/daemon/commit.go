package daemon

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	imgrouter "github.com/berth-engine/berth/internal/server/router/image"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	digest "github.com/opencontainers/go-digest"
)

// committer joins the container and image services for POST /commit: the
// container service writes the changes (pausing the container), the image
// service stores them as a layer over the container's image.
type committer struct{ d *Daemon }

// Commit snapshots req.Container into a new image.
func (c committer) Commit(ctx context.Context, req imgrouter.CommitRequest) (*image.Image, error) {
	if req.Container == "" {
		return nil, fmt.Errorf("no container specified: %w", errdefs.ErrInvalidArgument)
	}
	ctn, err := c.d.containers.Get(req.Container)
	if err != nil {
		return nil, err
	}
	opts := req.CommitOptions
	opts.Parent = digest.Digest(ctn.ImageID)
	opts.Config = mergeConfig(req.Config, ctn.Config)
	pr, pw := io.Pipe()
	go func() {
		_, err := c.d.containers.WriteChanges(ctx, ctn.ID, req.Pause, pw)
		pw.CloseWithError(err)
	}()
	img, err := c.d.images.Commit(ctx, pr, opts)
	pr.CloseWithError(err) // unblocks the writer if Commit stopped reading early
	if err != nil {
		return nil, err
	}
	if c.d.events != nil {
		attrs := map[string]string{"comment": opts.Comment, "imageID": img.ID.String(), "imageRef": opts.Ref}
		c.d.events.Log(apievents.ActionCommit, apievents.ContainerEventType, apievents.Actor{ID: ctn.ID, Attributes: attrs})
	}
	return img, nil
}

// mergeConfig fills the request's config from the container's, as Docker
// does: request fields win, Env and Labels merge by key, ports and volumes
// are united.
func mergeConfig(req, base *ctr.Config) *ctr.Config {
	out := &ctr.Config{}
	if base != nil {
		b := *base
		out = &b
	}
	if req == nil {
		return out
	}
	if len(req.Cmd) > 0 {
		out.Cmd = req.Cmd
	}
	if len(req.Entrypoint) > 0 {
		out.Entrypoint = req.Entrypoint
	}
	for _, v := range []struct{ dst, src *string }{{&out.User, &req.User}, {&out.WorkingDir, &req.WorkingDir}, {&out.StopSignal, &req.StopSignal}} {
		if *v.src != "" {
			*v.dst = *v.src
		}
	}
	out.Env = mergeEnv(out.Env, req.Env)
	if len(req.Labels) > 0 {
		out.Labels = maps.Clone(out.Labels)
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		maps.Copy(out.Labels, req.Labels)
	}
	if len(req.ExposedPorts) > 0 {
		out.ExposedPorts = maps.Clone(out.ExposedPorts)
		if out.ExposedPorts == nil {
			out.ExposedPorts = req.ExposedPorts
		}
		maps.Copy(out.ExposedPorts, req.ExposedPorts)
	}
	if len(req.Volumes) > 0 {
		out.Volumes = maps.Clone(out.Volumes)
		if out.Volumes == nil {
			out.Volumes = map[string]struct{}{}
		}
		maps.Copy(out.Volumes, req.Volumes)
	}
	return out
}

// mergeEnv overrides base's variables with over's, keeping base's order.
func mergeEnv(base, over []string) []string {
	out := slices.Clone(base)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		i := slices.IndexFunc(out, func(e string) bool { ek, _, _ := strings.Cut(e, "="); return ek == k })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}
