package oci

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// addDevices appends the --device nodes and their cgroup rules.
func addDevices(s *specs.Spec, opts Options) {
	for _, d := range opts.Devices {
		s.Linux.Devices = slices.DeleteFunc(s.Linux.Devices, func(x specs.LinuxDevice) bool { return x.Path == d.Path })
		s.Linux.Devices = append(s.Linux.Devices, d)
	}
	s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, opts.DeviceRules...)
}

// HostDevices resolves a --device mapping: the host node (or every node
// under a host directory) at the container path, and the cgroup rules that
// allow it with the mapping's permissions (default "rwm").
func HostDevices(m ctr.DeviceMapping) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	perms := m.CgroupPermissions
	if perms == "" {
		perms = "rwm"
	}
	if strings.Trim(perms, "rwm") != "" {
		return nil, nil, fmt.Errorf("invalid device cgroup permissions %q for %s: %w", perms, m.PathOnHost, errdefs.ErrInvalidArgument)
	}
	dst := m.PathInContainer
	if dst == "" {
		dst = m.PathOnHost
	}
	src, err := filepath.EvalSymlinks(m.PathOnHost)
	if err != nil {
		return nil, nil, deviceErr(m.PathOnHost, err)
	}
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dev, ok := hostDevice(p)
		if !ok {
			if p == src {
				return fmt.Errorf("not a device node")
			}
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		dev.Path = filepath.Join(dst, rel)
		devs = append(devs, dev)
		maj, min := dev.Major, dev.Minor
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: dev.Type, Major: &maj, Minor: &min, Access: perms})
		return nil
	})
	if err != nil {
		return nil, nil, deviceErr(m.PathOnHost, err)
	}
	return devs, rules, nil
}

func deviceErr(path string, err error) error {
	return fmt.Errorf("error gathering device information while adding custom device %q: %v: %w", path, err, errdefs.ErrInvalidArgument)
}

// tmpfsMounts adds the --tmpfs mounts (sorted by destination), replacing
// any default mount at the same destination.
func tmpfsMounts(ms []specs.Mount, tmpfs map[string]string) []specs.Mount {
	dsts := make([]string, 0, len(tmpfs))
	for d := range tmpfs {
		dsts = append(dsts, d)
	}
	sort.Strings(dsts)
	for _, d := range dsts {
		ms = slices.DeleteFunc(ms, func(m specs.Mount) bool { return m.Destination == d })
		ms = append(ms, specs.Mount{Destination: d, Type: "tmpfs", Source: "tmpfs", Options: TmpfsOptions(tmpfs[d])})
	}
	return ms
}

// TmpfsOptions merges --tmpfs options over Docker's defaults (noexec,
// nosuid, nodev): a later flag replaces its opposite, a later key=value
// its earlier value.
func TmpfsOptions(user string) []string {
	opposite := map[string]string{
		"exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid", "dev": "nodev", "nodev": "dev",
		"rw": "ro", "ro": "rw", "atime": "noatime", "noatime": "atime",
	}
	out := []string{"noexec", "nosuid", "nodev"}
	for _, o := range strings.Split(user, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		key, _, _ := strings.Cut(o, "=")
		out = slices.DeleteFunc(out, func(x string) bool {
			k, _, _ := strings.Cut(x, "=")
			return k == key || x == opposite[o]
		})
		out = append(out, o)
	}
	return out
}

// initMount bind-mounts the --init binary read-only.
func initMount(opts Options) []specs.Mount {
	if opts.InitPath == "" {
		return nil
	}
	return []specs.Mount{{Destination: InitDest, Type: "bind", Source: opts.InitPath, Options: []string{"bind", "ro"}}}
}

// rlimitTypes maps --ulimit names to the runtime spec's rlimit types
// ("as" is left out, as Docker does).
var rlimitTypes = map[string]int{
	"core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA, "fsize": unix.RLIMIT_FSIZE,
	"locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE,
	"nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS,
	"rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING,
	"stack": unix.RLIMIT_STACK,
}

// Rlimit is one --ulimit resolved to its resource number.
type Rlimit struct {
	specs.POSIXRlimit
	Resource int // unix.RLIMIT_*
}

// Rlimits validates --ulimit values (known name, soft ≤ hard) and returns
// them in the spec's form, in the given order.
func Rlimits(ulimits []*ctr.Ulimit) ([]Rlimit, error) {
	var out []Rlimit
	for _, u := range ulimits {
		if u == nil {
			continue
		}
		res, ok := rlimitTypes[u.Name]
		if !ok {
			return nil, fmt.Errorf("invalid ulimit type: %s: %w", u.Name, errdefs.ErrInvalidArgument)
		}
		if u.Soft < 0 || u.Hard < 0 {
			return nil, fmt.Errorf("invalid ulimit %s: limits cannot be negative: %w", u.Name, errdefs.ErrInvalidArgument)
		}
		if u.Soft > u.Hard {
			return nil, fmt.Errorf("ulimit soft limit must be less than or equal to hard limit: %d > %d: %w", u.Soft, u.Hard, errdefs.ErrInvalidArgument)
		}
		out = append(out, Rlimit{Resource: res, POSIXRlimit: specs.POSIXRlimit{
			Type: "RLIMIT_" + strings.ToUpper(u.Name), Hard: uint64(u.Hard), Soft: uint64(u.Soft),
		}})
	}
	return out, nil
}

// CheckCapabilities validates --cap-add and --cap-drop names the way
// Generate applies them (unknown capability: invalid argument).
func CheckCapabilities(add, drop []string) error {
	_, err := capabilities(false, add, drop)
	return err
}

// CheckSeccompProfile validates a custom seccomp profile's JSON text.
func CheckSeccompProfile(profile string) error {
	s := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}, Linux: &specs.Linux{}}
	_, err := seccompFor(Options{SeccompProfile: profile}, s)
	return err
}

// ResolveGroups resolves --group-add names or ids against the rootfs's
// /etc/group (numeric ids need no entry).
func ResolveGroups(rootfs string, groups []string) ([]uint32, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	gids, err := user.GetAdditionalGroupsPath(groups, inRootfs(rootfs, "/etc/group"))
	if err != nil {
		return nil, invalidArgument{err}
	}
	out := make([]uint32, 0, len(gids))
	for _, g := range gids {
		out = append(out, uint32(g))
	}
	return out, nil
}
