package image

import (
	"context"
	"fmt"
	"github.com/berth-engine/berth/internal/filters"
	"strconv"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

var pruneFilters = map[string]bool{"dangling": true, "until": true, "label": true, "label!": true}

// Prune deletes unused images (POST /images/prune): by default dangling
// ones (no tag and no digest reference), with dangling=false every image
// no container uses. until=<timestamp|duration> keeps newer images,
// label=k[=v] / label!=k[=v] select by label. Images are deleted by
// each reference, then by ID; one other images were made from is only
// untagged and goes with its last child (Docker's parent pruning).
// Images inUse reports are kept. SpaceReclaimed
// counts the layers actually freed.
func (s *Service) Prune(ctx context.Context, filters map[string][]string, inUse func(id digest.Digest) bool) (image.PruneReport, error) {
	report := image.PruneReport{ImagesDeleted: []image.DeleteResponse{}}
	sel, err := newPruneSelector(filters, time.Now())
	if err != nil {
		return report, err
	}
	var recs []*record
	if err := s.db.View(func(tx *metadata.Tx) error {
		recs, err = allRecords(tx)
		return err
	}); err != nil {
		return report, err
	}
	for _, r := range recs {
		if (inUse != nil && inUse(r.ID)) || !sel.match(ctx, s, r) {
			continue
		}
		sizes := s.chainSizes(r)
		for _, target := range pruneTargets(r) {
			out, err := s.Delete(ctx, target, DeleteOptions{InUse: containerOf(inUse)})
			if errdefs.IsNotFound(err) || errdefs.IsConflict(err) {
				continue // deleted meanwhile (with a child), or has children: goes with its last child
			}
			if err != nil {
				return report, err
			}
			for _, d := range out {
				report.SpaceReclaimed += uint64(sizes[d.Deleted])
			}
			report.ImagesDeleted = append(report.ImagesDeleted, out...)
		}
	}
	return report, nil
}

// pruneTargets is what Prune deletes for r, as Docker does: each of its
// references (the last one deletes the image, or leaves it untagged
// until its last child goes), or its ID when it has none.
func pruneTargets(r *record) []string {
	if refs := r.refs(); len(refs) > 0 {
		return refs
	}
	return []string{r.ID.String()}
}

// chainSizes maps r's chain IDs to their layers' unpacked sizes.
func (s *Service) chainSizes(r *record) map[string]int64 {
	out := map[string]int64{}
	for i, c := range r.ChainIDs {
		if i < len(r.DiffIDs) {
			if di, err := s.diffInfo(r.DiffIDs[i]); err == nil && di.Size > 0 {
				out[c] = di.Size
			}
		}
	}
	if len(r.ChainIDs) == 1 && out[r.ChainIDs[0]] == 0 {
		out[r.ChainIDs[0]] = r.Size
	}
	return out
}

type pruneSelector struct {
	all       bool // dangling=false
	until     time.Time
	labels    []string
	notLabels []string
}

func newPruneSelector(f map[string][]string, now time.Time) (pruneSelector, error) {
	var sel pruneSelector
	for k, vals := range f {
		if !pruneFilters[k] {
			return sel, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
		for _, v := range vals {
			switch k {
			case "dangling":
				b, err := strconv.ParseBool(v)
				if err != nil {
					return sel, fmt.Errorf("invalid filter 'dangling=%s': %w", v, errdefs.ErrInvalidArgument)
				}
				sel.all = !b
			case "until":
				t, err := filters.Until(v, now)
				if err != nil {
					return sel, err
				}
				sel.until = t
			case "label":
				sel.labels = append(sel.labels, v)
			case "label!":
				sel.notLabels = append(sel.notLabels, v)
			}
		}
	}
	return sel, nil
}

func (p pruneSelector) match(ctx context.Context, s *Service, r *record) bool {
	if !p.all && len(r.refs()) > 0 {
		return false
	}
	if p.until.IsZero() && len(p.labels) == 0 && len(p.notLabels) == 0 {
		return true
	}
	img, err := s.toImage(ctx, r)
	if err != nil {
		return false
	}
	if !p.until.IsZero() && !img.Created.Before(p.until) {
		return false
	}
	labels := img.Config.Config.Labels
	for _, l := range p.labels {
		if !filters.Label(labels, l) {
			return false
		}
	}
	for _, l := range p.notLabels {
		if filters.Label(labels, l) {
			return false
		}
	}
	return true
}

// containerOf adapts a yes/no in-use check to DeleteOptions.InUse, so
// parent pruning stops at images containers use.
func containerOf(inUse func(digest.Digest) bool) func(digest.Digest) string {
	if inUse == nil {
		return nil
	}
	return func(id digest.Digest) string {
		if inUse(id) {
			return "in use"
		}
		return ""
	}
}
