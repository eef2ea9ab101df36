package runtime

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"

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
	return strings.HasPrefix(filepath.Base(path), "crun") && hybridWithControllers()
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
	return startHidden(cmd)
}

func startHidden(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The main thread must keep the host's mounts: its namespace
			// is the one /proc/self shows the whole process. Hold it, so
			// that another thread does the work, then let it go.
			errc <- startHidden(cmd)
			goruntime.UnlockOSThread()
			return
		}
		// Never unlocked: the thread ends with this goroutine.
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
