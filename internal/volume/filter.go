package volume

import (
	"context"
	"encoding/json"
	"fmt"
	flt "github.com/berth-engine/berth/internal/filters"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	apivolume "github.com/moby/moby/api/types/volume"
)

func decode(raw []byte) (*Volume, error) {
	var v Volume
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// listFilters are the filters GET /volumes accepts.
var listFilters = map[string]bool{"dangling": true, "name": true, "label": true, "driver": true}

// pruneFilters are the filters POST /volumes/prune accepts.
var pruneFilters = map[string]bool{"label": true, "label!": true, "all": true}

func checkFilters(f map[string][]string, valid map[string]bool) error {
	for k := range f {
		if !valid[k] {
			return fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// List returns the volumes matching filters (dangling, name, label, driver).
func (s *Service) List(ctx context.Context, filters map[string][]string) ([]*Volume, error) {
	if err := checkFilters(filters, listFilters); err != nil {
		return nil, err
	}
	dangling, err := boolFilter(filters, "dangling")
	if err != nil {
		return nil, err
	}
	all, err := s.All(ctx)
	if err != nil {
		return nil, err
	}
	out := []*Volume{}
	for _, v := range all {
		if dangling != nil && (len(s.users(v.Name)) == 0) != *dangling {
			continue
		}
		if flt.AnyOf(filters["name"], func(n string) bool { return strings.Contains(v.Name, n) }) &&
			flt.AnyOf(filters["driver"], func(d string) bool { return d == v.Driver }) &&
			flt.Labels(v.Labels, filters["label"]) {
			out = append(out, v)
		}
	}
	return out, nil
}

func boolFilter(f map[string][]string, key string) (*bool, error) {
	vals := f[key]
	if len(vals) == 0 {
		return nil, nil
	}
	switch strings.ToLower(vals[0]) {
	case "true", "1":
		t := true
		return &t, nil
	case "false", "0":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("invalid filter '%s=%s': %w", key, vals[0], errdefs.ErrInvalidArgument)
}

// Prune removes unused volumes: anonymous ones only unless filters has
// all=true (API ≥ 1.42 semantics), narrowed by label and label!.
func (s *Service) Prune(ctx context.Context, filters map[string][]string) (apivolume.PruneReport, error) {
	rep := apivolume.PruneReport{VolumesDeleted: []string{}}
	if err := checkFilters(filters, pruneFilters); err != nil {
		return rep, err
	}
	all, err := boolFilter(filters, "all")
	if err != nil {
		return rep, err
	}
	vols, err := s.All(ctx)
	if err != nil {
		return rep, err
	}
	for _, v := range vols {
		if !s.prunable(v, all != nil && *all, filters) {
			continue
		}
		size := s.driver.Size(v.Name)
		s.mu.Lock()
		if len(s.users(v.Name)) == 0 {
			if err := s.remove(ctx, v.Name); err == nil {
				rep.VolumesDeleted = append(rep.VolumesDeleted, v.Name)
				rep.SpaceReclaimed += uint64(size)
			}
		}
		s.mu.Unlock()
	}
	return rep, nil
}

func (s *Service) prunable(v *Volume, all bool, f map[string][]string) bool {
	if !all && !v.Anonymous {
		return false
	}
	if !flt.Labels(v.Labels, f["label"]) {
		return false
	}
	for _, w := range f["label!"] {
		if flt.Labels(v.Labels, []string{w}) {
			return false
		}
	}
	return len(s.users(v.Name)) == 0
}

// Info is the API's view of v; withUsage adds size and reference count
// (for /system/df).
func (s *Service) Info(v *Volume, withUsage bool) apivolume.Volume {
	out := apivolume.Volume{
		Name: v.Name, Driver: v.Driver, Mountpoint: s.driver.Path(v.Name), Scope: "local",
		CreatedAt: v.CreatedAt.Format(time.RFC3339), Labels: v.Labels, Options: v.Options,
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if out.Options == nil {
		out.Options = map[string]string{}
	}
	if withUsage {
		out.UsageData = &apivolume.UsageData{Size: s.driver.Size(v.Name), RefCount: int64(len(s.users(v.Name)))}
	}
	return out
}
