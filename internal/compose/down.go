package compose

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// DownOptions tune Down.
type DownOptions struct {
	Volumes       bool   // -v: remove named volumes of the project and anonymous ones
	RMI           string // --rmi: "", "local" (images without a custom tag) or "all"
	RemoveOrphans bool   // --remove-orphans: also remove containers of services no longer defined
	Timeout       *int   // -t: stop timeout in seconds (nil: each container's own)
}

// Down stops and removes the project's containers (one-off ones too) and
// networks, and with the options its volumes and images. p may be nil when
// the project's files are gone: resources are found by their labels and
// every container of the project is removed. With p, containers of
// services p does not define are orphans, kept (with a warning) unless
// RemoveOrphans; a network or volume still in use is kept with a warning.
func (c *Compose) Down(ctx context.Context, project string, p *types.Project, o DownOptions) error {
	if o.RMI != "" && o.RMI != "local" && o.RMI != "all" {
		return fmt.Errorf("invalid --rmi %q: want local or all: %w", o.RMI, errdefs.ErrInvalidArgument)
	}
	ctrs, err := c.containers(ctx, project, true)
	if err != nil {
		return err
	}
	if p != nil && !o.RemoveOrphans {
		var orphans []container.Summary
		ctrs, orphans = splitOrphans(p, ctrs)
		c.warnOrphans(orphans)
	}
	if err := c.removeAll(ctx, ctrs, o.Volumes, o.Timeout); err != nil {
		return err
	}
	var errs []error
	errs = append(errs, c.removeNetworks(ctx, project))
	if o.Volumes {
		errs = append(errs, c.removeVolumes(ctx, project))
	}
	if o.RMI != "" {
		errs = append(errs, c.removeImages(ctx, project, p, ctrs, o.RMI))
	}
	return errors.Join(errs...)
}

// removeAll stops and removes ctrs concurrently.
func (c *Compose) removeAll(ctx context.Context, ctrs []container.Summary, volumes bool, timeout *int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ctrs))
	for i, ctr := range ctrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.removeContainer(ctx, ctr, volumes, timeout)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Compose) removeNetworks(ctx context.Context, project string) error {
	res, err := c.api.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", LabelProject+"="+project)})
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range res.Items {
		if _, err := c.api.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !errdefs.IsNotFound(err) {
			if inUse(err) {
				c.printf(" Network %s  Resource is still in use", n.Name)
				continue
			}
			errs = append(errs, fmt.Errorf("network %s: %w", n.Name, err))
			continue
		}
		c.printf(" Network %s  Removed", n.Name)
	}
	return errors.Join(errs...)
}

func (c *Compose) removeVolumes(ctx context.Context, project string) error {
	res, err := c.api.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("label", LabelProject+"="+project)})
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range res.Items {
		if _, err := c.api.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !errdefs.IsNotFound(err) {
			if inUse(err) {
				c.printf(" Volume %s  Resource is still in use", v.Name)
				continue
			}
			errs = append(errs, fmt.Errorf("volume %s: %w", v.Name, err))
			continue
		}
		c.printf(" Volume %s  Removed", v.Name)
	}
	return errors.Join(errs...)
}

// inUse reports a removal refused because something still uses the
// resource (Docker answers 403 for networks, 409 for volumes).
func inUse(err error) bool {
	return errdefs.IsConflict(err) || errdefs.IsPermissionDenied(err)
}

// removeImages removes the images of the project's services: "all" of
// them, or with "local" only those built without a custom image name.
func (c *Compose) removeImages(ctx context.Context, project string, p *types.Project, ctrs []container.Summary, mode string) error {
	images := map[string]bool{}
	if p != nil {
		for _, s := range p.Services {
			if mode == "all" || s.Image == "" {
				images[ImageName(p, s)] = true
			}
		}
	} else {
		for _, ctr := range ctrs {
			img := ctr.Labels[LabelImage]
			if mode == "all" || img == project+"-"+ctr.Labels[LabelService] {
				images[img] = true
			}
		}
	}
	var errs []error
	for img := range images {
		if img == "" {
			continue
		}
		if _, err := c.api.ImageRemove(ctx, img, client.ImageRemoveOptions{}); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("image %s: %w", img, err))
			continue
		}
		c.printf(" Image %s  Removed", img)
	}
	return errors.Join(errs...)
}
