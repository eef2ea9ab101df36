package daemon

import (
	"context"
	"io"
	"maps"

	"github.com/berth-engine/berth/internal/events"
	"github.com/berth-engine/berth/internal/image"
	"github.com/distribution/reference"
	apievents "github.com/moby/moby/api/types/events"
	apiimage "github.com/moby/moby/api/types/image"
)

// imageEvents is the image service as the API serves it, publishing
// Docker's image events (import, pull, tag, untag, delete) for the changes
// that succeed; the image service itself knows nothing of events.
type imageEvents struct {
	*image.Service
	bus *events.Events
}

func (ie imageEvents) log(action apievents.Action, img *image.Image, id, name string) {
	attrs := map[string]string{"name": name}
	if img != nil {
		maps.Copy(attrs, img.Config.Config.Labels)
		attrs["name"] = name
	}
	ie.bus.Log(action, apievents.ImageEventType, apievents.Actor{ID: id, Attributes: attrs})
}

// Import reports "import", and "tag" when the import named the image.
func (ie imageEvents) Import(ctx context.Context, r io.Reader, opts image.ImportOptions) (*image.Image, error) {
	img, err := ie.Service.Import(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	id := img.ID.String()
	ie.log(apievents.ActionImport, img, id, id)
	if name := taggedName(opts.Ref); name != "" {
		ie.log(apievents.ActionTag, img, id, name)
	}
	return img, nil
}

// Pull reports "pull" with the reference pulled.
func (ie imageEvents) Pull(ctx context.Context, opts image.PullOptions) (*image.Image, error) {
	img, err := ie.Service.Pull(ctx, opts)
	if err != nil {
		return nil, err
	}
	name := taggedName(opts.Ref)
	if name == "" {
		name = opts.Ref
	}
	ie.log(apievents.ActionPull, img, name, name)
	return img, nil
}

// Tag reports "tag" with the new name.
func (ie imageEvents) Tag(ctx context.Context, refOrID, newRef string) error {
	if err := ie.Service.Tag(ctx, refOrID, newRef); err != nil {
		return err
	}
	if img, err := ie.Service.Get(ctx, newRef); err == nil {
		ie.log(apievents.ActionTag, img, img.ID.String(), taggedName(newRef))
	}
	return nil
}

// Delete reports "untag" for every name removed and "delete" for every
// image that went (the named one and the parents pruned with it).
func (ie imageEvents) Delete(ctx context.Context, refOrID string, opts image.DeleteOptions) ([]apiimage.DeleteResponse, error) {
	img, _ := ie.Service.Get(ctx, refOrID)
	lineage := ie.lineage(ctx, img, !opts.NoPrune)
	resp, err := ie.Service.Delete(ctx, refOrID, opts)
	if err != nil || img == nil {
		return resp, err
	}
	id := img.ID.String()
	for _, r := range resp {
		switch {
		case r.Untagged != "":
			ie.log(apievents.ActionUnTag, img, id, id)
		case lineage[r.Deleted] != nil:
			ie.log(apievents.ActionDelete, lineage[r.Deleted], r.Deleted, r.Deleted)
		}
	}
	return resp, nil
}

// lineage maps the IDs of img and, with parents, its parent chain to
// their images: what a delete may remove.
func (ie imageEvents) lineage(ctx context.Context, img *image.Image, parents bool) map[string]*image.Image {
	out := map[string]*image.Image{}
	for img != nil && out[img.ID.String()] == nil {
		out[img.ID.String()] = img
		if !parents || img.Parent == "" {
			break
		}
		img, _ = ie.Service.Get(ctx, img.Parent.String())
	}
	return out
}

// taggedName is Docker's event name for a reference: familiar form with
// the default tag ("busybox" → "busybox:latest"); "" if ref is no name.
func taggedName(ref string) string {
	if ref == "" {
		return ""
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	return reference.FamiliarString(reference.TagNameOnly(named))
}
