package runtime

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// sealedSeals are the seals crun and runc look for before they trust their
// own binary not to be rewritable from a container (CVE-2019-5736): with all
// four, /proc/self/exe can never be written again.
const sealedSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// WantsSealedCopy reports whether the OCI runtime at path gains from being
// run from a sealed copy (SealedCopy). crun copies itself into a sealed
// memfd and re-executes on every call unless its binary already is one:
// a bind mount, a copy and a second dynamic link, about 3 ms of a 15 ms
// start, paid by create, start and delete alike. runc 1.1 gains nothing.
func WantsSealedCopy(path string) bool {
	return IsCrun(path)
}

// SealedCopy copies the binary at path into a memfd sealed against any
// change, which may then be run as /proc/self/fd/N (see KeepRuntimeFd, RuntimeLink) by any
// number of processes holding it: sharing a sealed copy is safe, as crun's
// own comments note, because nobody can write to it.
func SealedCopy(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate(filepath.Base(path)+"-sealed", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("sealed copy of %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Base(path))
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealed copy of %s: %w", path, err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, sealedSeals); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealed copy of %s: seal: %w", path, err)
	}
	return f, nil
}

// RuntimeFd is the descriptor a process keeps its sealed runtime copy at:
// above any descriptor os/exec hands a child (stdio and ExtraFiles), so
// that /proc/self/fd/RuntimeFd still names the copy when the child execs
// it, and the same in every shim, so that one link (RuntimeLink) serves
// them all.
const RuntimeFd = 100

// RuntimeLink creates (or replaces) the link at path that shims execute
// their sealed copy of a runtime through: executed as /proc/self/fd/100
// the runtime's processes would be called "100" (ps, /proc/PID/comm, which
// the shim's reaper matches on); through a link named like the runtime
// they keep its name. The link resolves in the executing child.
func RuntimeLink(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink("/proc/self/fd/"+strconv.Itoa(RuntimeFd), tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// KeepRuntimeFd moves the sealed copy inherited at fd to RuntimeFd (or,
// were that taken, the first free descriptor above it), close-on-exec,
// and returns the path to exec it by and its descriptor; fd is closed.
func KeepRuntimeFd(fd int) (string, int, error) {
	defer unix.Close(fd)
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil || seals&sealedSeals != sealedSeals {
		return "", 0, fmt.Errorf("runtime fd %d is not a sealed copy", fd)
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, RuntimeFd)
	if err != nil {
		return "", 0, fmt.Errorf("runtime fd: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(nfd), nfd, nil
}
