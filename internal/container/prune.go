package container

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

var pruneFilters = map[string]bool{"until": true, "label": true, "label!": true}

// Prune removes every stopped container (created, exited or dead) that the
// filters select: until=<timestamp|duration> (created before), label=k[=v]
// (all must match) and label!=k[=v] (none may match).
func (s *Service) Prune(ctx context.Context, filters map[string][]string) (ctr.PruneReport, error) {
	report := ctr.PruneReport{ContainersDeleted: []string{}}
	for k := range filters {
		if !pruneFilters[k] {
			return report, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	var until time.Time
	for _, v := range filters["until"] {
		t, err := parseUntil(v, time.Now())
		if err != nil {
			return report, err
		}
		until = t
	}
	for _, c := range s.store.all() {
		st := c.snapshot()
		if st.Running() || st.Status == ctr.StateRemoving || !pruneMatch(c, until, filters) {
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
	return allOf(f["label"], func(v string) bool { return labelMatch(c.Config.Labels, v) }) &&
		allOf(f["label!"], func(v string) bool { return !labelMatch(c.Config.Labels, v) })
}

// parseUntil reads Docker's until values: a Go duration ("10m", before
// now), Unix seconds with an optional fraction, RFC 3339 or a date.
func parseUntil(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	sec, frac, _ := strings.Cut(v, ".")
	if s, err := strconv.ParseInt(sec, 10, 64); err == nil {
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		return time.Unix(s, ns), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q: %w", v, errdefs.ErrInvalidArgument)
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
