package oci

import "golang.org/x/sys/unix"

// UnifiedCgroups reports whether /sys/fs/cgroup is a cgroup v2 mount, the
// case where Docker gives containers a private cgroup namespace by default.
func UnifiedCgroups() bool {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}
