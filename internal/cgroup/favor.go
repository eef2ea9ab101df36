package cgroup

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// FavorDynMods turns on the kernel's "favordynmods" option of the host's
// cgroup2 hierarchy (at Root, or at Root/unified on a hybrid host) and
// returns its mount point, or "" when it was on already or there is no
// cgroup2 mount.
//
// Without it, every write of a pid into a cgroup.procs file takes the
// kernel's global threadgroup lock for writing and waits for an RCU grace
// period: 5 to 12 ms on the 2-CPU VMs Berth is measured on, paid once per
// container start by the runtime (and serialised between parallel starts),
// a third of crun's whole start. With it the write takes 0.3 ms; in
// exchange fork and exit take a per-process lock (kernel 6.18 and later)
// or the slow path of the global one. The kernel documents the option for
// exactly this workload, dynamic cgroup membership changes. Since 6.18 it
// cannot be turned off again until reboot.
//
// The superblock is reconfigured through fspick(2), which leaves the mount's
// own flags (nosuid, nodev, ...) alone, and with every option it already has
// (nsdelegate, memory_recursiveprot, ...), which a reconfiguration would
// otherwise clear.
func FavorDynMods() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	mnt, opts, err := cgroup2Mount(f)
	if err != nil || mnt == "" {
		return "", err
	}
	for _, o := range opts {
		if o == "favordynmods" {
			return "", nil
		}
	}
	fd, err := unix.Fspick(unix.AT_FDCWD, mnt, unix.FSPICK_CLOEXEC|unix.FSPICK_NO_AUTOMOUNT|unix.FSPICK_SYMLINK_NOFOLLOW)
	if err != nil {
		return "", fmt.Errorf("fspick %s: %w", mnt, err)
	}
	defer unix.Close(fd)
	for _, o := range append(opts, "favordynmods") {
		if o == "rw" || o == "ro" {
			continue
		}
		if err := unix.FsconfigSetFlag(fd, o); err != nil {
			return "", fmt.Errorf("%s: option %s: %w", mnt, o, err)
		}
	}
	if err := unix.FsconfigReconfigure(fd); err != nil {
		return "", fmt.Errorf("%s: reconfigure with favordynmods: %w", mnt, err)
	}
	return mnt, nil
}

// cgroup2Mount finds the host's cgroup2 mount (Root or Root/unified) in a
// mountinfo table and returns it with its superblock options.
func cgroup2Mount(r io.Reader) (string, []string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// 86 44 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, p := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(p) < 3 || p[0] != "cgroup2" {
			continue
		}
		if f[4] == Root || f[4] == Root+"/unified" {
			return f[4], strings.Split(p[2], ","), nil
		}
	}
	return "", nil, sc.Err()
}
