package runtime

import (
	"path/filepath"
	"strings"
)

// IsCrun reports whether the OCI runtime binary at path is crun: the
// system's (crun), a copy of it (crun-sealed, a memfd's name), or Berth's
// own static build (berth-crun, scripts/build-crun.sh). crun differs from
// runc in how Berth runs it: a sealed copy (WantsSealedCopy), the cgroup2
// mount hidden on hybrid hosts (HidesUnified), create then start, and
// seccomp filters handed over compiled.
func IsCrun(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(base, "crun") || strings.HasPrefix(base, "berth-crun")
}
