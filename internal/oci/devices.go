package oci

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultDevices are the nodes every container gets.
var defaultDevices = []specs.LinuxDevice{
	charDev("/dev/null", 1, 3),
	charDev("/dev/zero", 1, 5),
	charDev("/dev/full", 1, 7),
	charDev("/dev/random", 1, 8),
	charDev("/dev/urandom", 1, 9),
	charDev("/dev/tty", 5, 0),
}

// defaultDeviceRules is Docker's device cgroup allowlist: deny all, then
// null, zero, urandom, random, tty, console; fuse stays denied. The runtime
// adds its own rules for the nodes it creates (full, ptmx, pts, tun).
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	{Allow: false, Access: "rwm"},
	charRule(true, 1, 5),
	charRule(true, 1, 3),
	charRule(true, 1, 9),
	charRule(true, 1, 8),
	charRule(true, 5, 0),
	charRule(true, 5, 1),
	charRule(false, 10, 229),
}

// hostDevices is replaced in tests so golden files do not depend on the host.
var hostDevices = readHostDevices

func devices(privileged bool) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	if !privileged {
		return clone(defaultDevices), clone(defaultDeviceRules), nil
	}
	devs, err := hostDevices()
	if err != nil {
		return nil, nil, err
	}
	return devs, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, nil
}

// readHostDevices lists the character and block devices under /dev, skipping
// /dev/pts, /dev/shm, /dev/mqueue and /dev/console as Docker does.
func readHostDevices() ([]specs.LinuxDevice, error) {
	var devs []specs.LinuxDevice
	err := filepath.WalkDir("/dev", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			switch path {
			case "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/.lxc", "/dev/.udev":
				return filepath.SkipDir
			}
			return nil
		}
		if path == "/dev/console" || d.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		if dev, ok := hostDevice(path); ok {
			devs = append(devs, dev)
		}
		return nil
	})
	return devs, err
}

func hostDevice(path string) (specs.LinuxDevice, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return specs.LinuxDevice{}, false
	}
	typ := "c"
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
	default:
		return specs.LinuxDevice{}, false
	}
	mode := os.FileMode(st.Mode & 0o7777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path: path, Type: typ,
		Major: int64(unix.Major(uint64(st.Rdev))), Minor: int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, true
}

func charDev(path string, major, minor int64) specs.LinuxDevice {
	mode := os.FileMode(0o666)
	var id uint32
	return specs.LinuxDevice{Path: path, Type: "c", Major: major, Minor: minor, FileMode: &mode, UID: &id, GID: &id}
}

func charRule(allow bool, major, minor int64) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: "c", Major: &major, Minor: &minor, Access: "rwm"}
}

func clone[T any](s []T) []T { return append([]T(nil), s...) }
