package cgroup

import (
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Root is where the cgroup filesystems are mounted.
const Root = "/sys/fs/cgroup"

var (
	unifiedOnce sync.Once
	unified     bool
)

// Unified reports whether the host runs the cgroup v2 unified hierarchy at
// Root (otherwise it is v1, possibly hybrid with v2 mounted elsewhere).
func Unified() bool {
	unifiedOnce.Do(func() {
		var st unix.Statfs_t
		unified = unix.Statfs(Root, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
	})
	return unified
}

// Cgroup is one container's control group, addressed by its cgroupfs path
// as given to the runtime ("/berth/<id>").
type Cgroup struct {
	path string
	v2   bool
	root string
}

// Load returns the cgroup at path on this host. It does not check that the
// cgroup exists: reads of a missing cgroup fail with fs.ErrNotExist.
func Load(path string) Cgroup {
	return Cgroup{path: path, v2: Unified(), root: Root}
}

// At returns the cgroup at path in a cgroupfs mounted at root, of the given
// version (Load is At(Root, path, Unified())). Tests use it with fake trees.
func At(root, path string, v2 bool) Cgroup {
	return Cgroup{path: path, v2: v2, root: root}
}

// V2 reports whether c lives in the unified hierarchy.
func (c Cgroup) V2() bool { return c.v2 }

// File is the path of a control file; on v1 controller names the
// hierarchy, on v2 it is ignored.
func (c Cgroup) File(controller, name string) string {
	if c.v2 {
		return filepath.Join(c.root, c.path, name)
	}
	return filepath.Join(c.root, controller, c.path, name)
}
