package oci

import (
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// AddMounts puts the container's volume, bind and tmpfs mounts into s after
// its default ones. A user mount replaces a default mount at the same
// destination (as Docker lets -v override /etc/hosts or /dev/shm), and user
// mounts are ordered parents first so a mount inside another volume lands
// on top of it.
func AddMounts(s *specs.Spec, user []specs.Mount) {
	if len(user) == 0 {
		return
	}
	taken := map[string]bool{}
	for _, m := range user {
		taken[path.Clean(m.Destination)] = true
	}
	s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool {
		return taken[path.Clean(m.Destination)] && m.Destination != "/proc" && m.Destination != "/sys"
	})
	sorted := slices.Clone(user)
	slices.SortStableFunc(sorted, func(a, b specs.Mount) int {
		return depth(a.Destination) - depth(b.Destination)
	})
	s.Mounts = append(s.Mounts, sorted...)
}

func depth(p string) int {
	p = path.Clean(p)
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}
