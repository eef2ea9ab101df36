package cgroup

import (
	"slices"
	"strings"
	"testing"
)

func TestCgroup2Mount(t *testing.T) {
	for _, tc := range []struct {
		name, table, mnt string
		opts             []string
	}{
		{"hybrid", `35 25 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
86 35 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
40 35 0:39 / /sys/fs/cgroup/pids rw,relatime shared:11 - cgroup cgroup rw,pids
`, "/sys/fs/cgroup/unified", []string{"rw", "nsdelegate"}},
		{"unified", `30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`, "/sys/fs/cgroup", []string{"rw", "nsdelegate", "memory_recursiveprot"}},
		{"v1 only", `40 35 0:39 / /sys/fs/cgroup/pids rw,relatime shared:11 - cgroup cgroup rw,pids
`, "", nil},
		{"cgroup2 elsewhere", `90 35 0:50 / /mnt/cg rw,relatime - cgroup2 cgroup2 rw
`, "", nil},
	} {
		mnt, opts, err := cgroup2Mount(strings.NewReader(tc.table))
		if err != nil || mnt != tc.mnt || !slices.Equal(opts, tc.opts) {
			t.Errorf("%s: got %q %q %v, want %q %q", tc.name, mnt, opts, err, tc.mnt, tc.opts)
		}
	}
}
