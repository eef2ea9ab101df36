package container

import (
	"context"
	"fmt"
	"github.com/berth-engine/berth/internal/filters"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

var pruneFilters = map[string]bool{"until": true, "label": true, "label!": true}

// Prune removes every stopped container (created, exited or dead) that the
// filters select: until=<timestamp|duration> (created before), label=k[=v]
// (all must match) and label!=k[=v] (none may match).
func (s *Service) Prune(ctx context.Context, f map[string][]string) (ctr.PruneReport, error) {
	report := ctr.PruneReport{ContainersDeleted: []string{}}
	for k := range f {
		if !pruneFilters[k] {
			return report, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	var until time.Time
	for _, v := range f["until"] {
		t, err := filters.Until(v, time.Now())
		if err != nil {
			return report, err
		}
		until = t
	}
	for _, c := range s.store.all() {
		st := c.snapshot()
		if st.Running() || st.Status == ctr.StateRemoving || !pruneMatch(c, until, f) {
			continue
		}
		size := dirSize(filepath.Join(s.dataDir(c.ID), "upper"))
		if err := s.Remove(ctx, c.ID, RemoveOptions{}); err != nil {
			if errdefs.IsNotFound(err) || errdefs.IsConflict(err) {
				continue // removed or started meanwhile
			}
			return report, err
		}
		report.ContainersDeleted = append(report.ContainersDeleted, c.ID)
		report.SpaceReclaimed += uint64(size)
	}
	return report, nil
}

func pruneMatch(c *Container, until time.Time, f map[string][]string) bool {
	if !until.IsZero() && !c.Created.Before(until) {
		return false
	}
	return filters.Labels(c.Config.Labels, f["label"]) &&
		filters.AllOf(f["label!"], func(v string) bool { return !filters.Label(c.Config.Labels, v) })
}

// dirSize sums the sizes of the regular files under dir (0 if absent).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
