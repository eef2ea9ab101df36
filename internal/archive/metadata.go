package archive

import (
	"archive/tar"
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

const paxXattr = "SCHILY.xattr."

// setMetadata applies owner, mode, xattrs and times of hdr to p without
// following a symlink at p. Owner first: chown clears setuid/setgid.
func setMetadata(p string, hdr *tar.Header) error {
	if err := ignoreEPERM(unix.Lchown(p, hdr.Uid, hdr.Gid)); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := unix.Chmod(p, uint32(hdr.Mode&0o7777)); err != nil {
			return err
		}
	}
	if err := setXattrs(p, hdr); err != nil {
		return err
	}
	ts := []unix.Timespec{unix.NsecToTimespec(hdr.AccessTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	if hdr.AccessTime.IsZero() {
		ts[0] = ts[1]
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// allowedXattr reports whether an image may set the xattr: user.* and file
// capabilities, never trusted.* (it could forge overlay whiteouts) or
// security labels.
func allowedXattr(name string) bool {
	return strings.HasPrefix(name, "user.") || name == "security.capability"
}

func setXattrs(p string, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattr)
		if !ok || !allowedXattr(name) {
			continue
		}
		err := unix.Lsetxattr(p, name, []byte(v), 0)
		if err != nil && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENOTSUP) {
			return err
		}
	}
	return nil
}

func ignoreEPERM(err error) error {
	if errors.Is(err, unix.EPERM) {
		return nil
	}
	return err
}
