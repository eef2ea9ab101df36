package daemon

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Exec-root placement. Everything under the exec root (shim sockets,
// runtime state, bundles, netns files) is per-boot state: /run is a tmpfs
// on most systems. Where it is not (this project's VMs have /run on an
// ext4 without a journal), every container start creates a dozen inodes
// on disk and every removal deletes them, and ext4 then scans past the
// recently deleted inodes on each new one: a fifth of the CPU of a
// parallel start went there. The daemon therefore mounts a tmpfs of its
// own on an exec root that is on a disk, unless state from before is live
// there.

// execRootFS is a filesystem type the exec root may stay on.
func execRootFS(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return true // leave it alone; the errors come later, and clearer
	}
	return st.Type == unix.TMPFS_MAGIC || st.Type == unix.RAMFS_MAGIC
}

// execRootSource names the daemon's own tmpfs in the mount table, which
// tells it from a tmpfs the system put there (/run itself).
const execRootSource = "berth-exec-root"

// mountExecRoot puts dir on a tmpfs when it is on a disk and no container
// from before needs what is there: a shim answering on its socket, or a
// mount (a netns file) other than the build-context tmpfs mounts, which
// are dropped. The tmpfs stays mounted while containers run, across
// daemon restarts, so that they outlive the daemon; unmountExecRoot takes
// it off when the daemon stops with none running. It reports whether dir
// is on the daemon's own tmpfs (mounted now or by an earlier start).
func mountExecRoot(dir string, log *slog.Logger) bool {
	if execRootFS(dir) {
		return ownExecRoot(dir)
	}
	if sock := liveShim(filepath.Join(dir, "s")); sock != "" {
		log.Info("exec root stays on disk: a container from before is running", "dir", dir, "shim", sock)
		return false
	}
	for _, m := range []string{"build-contexts", "build-context-cache"} {
		p := filepath.Join(dir, m)
		if ok, err := mountinfo.Mounted(p); err == nil && ok {
			_ = unix.Unmount(p, unix.MNT_DETACH)
		}
	}
	if under := mountsUnder(dir); len(under) > 0 {
		log.Info("exec root stays on disk: mounts from before are under it", "dir", dir, "mounts", under)
		return false
	}
	// Like /run: a tenth of the memory at most, no devices, no setuid.
	if err := unix.Mount(execRootSource, dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0711,size=10%"); err != nil {
		log.Warn("exec root stays on disk", "dir", dir, "err", err)
		return false
	}
	log.Debug("exec root on a tmpfs", "dir", dir)
	return true
}

// unmountExecRoot takes the daemon's own tmpfs off dir when no container
// needs it any more (no shim answers), with the mounts under it (build
// contexts), so that a stopped daemon leaves no mount behind.
func unmountExecRoot(dir string, log *slog.Logger) {
	if !ownExecRoot(dir) || liveShim(filepath.Join(dir, "s")) != "" {
		return
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		log.Warn("exec root tmpfs stays mounted", "dir", dir, "err", err)
	}
}

// ownExecRoot reports whether the topmost mount on dir is the daemon's
// own tmpfs.
func ownExecRoot(dir string) bool {
	ms, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) { return m.Mountpoint != dir, false })
	if err != nil || len(ms) == 0 {
		return false
	}
	top := ms[0]
	for _, m := range ms[1:] {
		if m.ID > top.ID { // stacked: the later mount is on top
			top = m
		}
	}
	return top.FSType == "tmpfs" && top.Source == execRootSource
}

// liveShim returns the first shim socket under dir that accepts a
// connection, or "".
func liveShim(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range ents {
		if e.Type()&os.ModeSocket == 0 {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if c, err := net.DialTimeout("unix", p, time.Second); err == nil {
			_ = c.Close()
			return p
		}
	}
	return ""
}

// mountsUnder lists the mount points under dir (dir itself excluded).
func mountsUnder(dir string) []string {
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range ms {
		if m.Mountpoint != dir && strings.HasPrefix(m.Mountpoint, dir+"/") {
			out = append(out, m.Mountpoint)
		}
	}
	return out
}
