package runtime

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// unifiedMount is where a hybrid host mounts its cgroup2 hierarchy beside
// the v1 controllers.
const unifiedMount = "/sys/fs/cgroup/unified"

// HidesUnified reports whether the OCI runtime at path must run with the
// hybrid host's cgroup2 mount out of its sight. crun refuses a hybrid host
// whose cgroup2 hierarchy holds a controller ("cgroups in hybrid mode not
// supported, drop all controllers from cgroupv2"), while it runs fine on the
// v1 controllers alone, which is all Berth asks of it there (runc, too, uses
// only the v1 controllers for resources on such a host).
func HidesUnified(path string) bool {
	return IsCrun(path) && hybridWithControllers()
}

func hybridWithControllers() bool {
	var root, unified unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &root) != nil || root.Type != unix.TMPFS_MAGIC {
		return false
	}
	if unix.Statfs(unifiedMount, &unified) != nil || unified.Type != unix.CGROUP2_SUPER_MAGIC {
		return false
	}
	data, err := os.ReadFile(filepath.Join(unifiedMount, "cgroup.controllers"))
	return err == nil && len(bytes.TrimSpace(data)) > 0
}

// StartCmd starts cmd, in a mount namespace of its own without the cgroup2
// mount when hideUnified. The namespace is made on a locked thread that the
// Go runtime discards afterwards; mounts become slaves first, so detaching
// the cgroup2 mount never propagates to the host.
func StartCmd(cmd *exec.Cmd, hideUnified bool) error {
	if !hideUnified {
		return cmd.Start()
	}
	return startOnThread(cmd, true, 0)
}

// cleanupNice is the niceness of runtime cleanup (StartCleanupCmd).
const cleanupNice = 10

// StartCleanupCmd is StartCmd for cleanup that nobody waits for, such as
// `runtime delete` after an exit: it runs at a lower priority, so that on a
// busy host it does not take the CPU from the exit being reported or from
// the next container's start.
func StartCleanupCmd(cmd *exec.Cmd, hideUnified bool) error {
	return startOnThread(cmd, hideUnified, cleanupNice)
}

// startOnThread starts cmd from a locked thread that is thrown away
// afterwards, after giving that thread (and so cmd, which inherits it) the
// niceness nice and, when hide, a mount namespace without the cgroup2 mount.
func startOnThread(cmd *exec.Cmd, hide bool, nice int) error {
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The main thread must keep the host's mounts: its namespace
			// is the one /proc/self shows the whole process. Hold it, so
			// that another thread does the work, then let it go.
			errc <- startOnThread(cmd, hide, nice)
			goruntime.UnlockOSThread()
			return
		}
		// Never unlocked: the thread ends with this goroutine.
		if nice != 0 {
			// Best effort: a failure leaves the normal priority.
			_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), nice)
		}
		if hide {
			if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
				errc <- fmt.Errorf("runtime mount namespace: %w", err)
				return
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
				errc <- fmt.Errorf("runtime mount namespace: make / rslave: %w", err)
				return
			}
			if err := unix.Unmount(unifiedMount, unix.MNT_DETACH); err != nil {
				errc <- fmt.Errorf("runtime mount namespace: detach %s: %w", unifiedMount, err)
				return
			}
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// RunCmd is StartCmd and Wait.
func RunCmd(cmd *exec.Cmd, hideUnified bool) error {
	if err := StartCmd(cmd, hideUnified); err != nil {
		return err
	}
	return cmd.Wait()
}

// CombinedOutputCmd is RunCmd returning stdout and stderr together.
func CombinedOutputCmd(cmd *exec.Cmd, hideUnified bool) ([]byte, error) {
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := RunCmd(cmd, hideUnified)
	return b.Bytes(), err
}

// CleanupOutputCmd is CombinedOutputCmd started with StartCleanupCmd.
func CleanupOutputCmd(cmd *exec.Cmd, hideUnified bool) ([]byte, error) {
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := StartCleanupCmd(cmd, hideUnified); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	return b.Bytes(), err
}
