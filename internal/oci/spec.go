package oci

import (
	"fmt"
	"strconv"

	"github.com/containerd/errdefs"
	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Network modes understood by Generate.
const (
	NetworkBridge = "bridge"
	NetworkNone   = "none"
	NetworkHost   = "host"
)

// DefaultShmSize is Docker's default /dev/shm size (64 MiB).
const DefaultShmSize = 64 << 20

// DefaultPathEnv is the PATH Docker sets when the image defines none.
const DefaultPathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// SeccompUnconfined disables seccomp filtering (--security-opt seccomp=unconfined).
const SeccompUnconfined = "unconfined"

// Options is everything Generate needs, already resolved by the caller.
type Options struct {
	ID       string
	Rootfs   string // absolute path of the mounted rootfs
	Readonly bool
	Args     []string // entrypoint + cmd, already resolved
	// Env is the image env merged with the user's; Generate puts Docker's
	// PATH default, HOSTNAME and (with Tty) TERM=xterm underneath it.
	Env        []string
	Cwd        string // default "/"
	User       specs.User
	Hostname   string
	Domainname string
	Tty        bool
	// NetNSPath is the pre-made netns to join ("" creates a new empty one).
	NetNSPath string
	// NetworkMode is "bridge" (or a user network name), "none" or "host".
	// Host networking shares the host's netns but keeps a private UTS ns.
	NetworkMode string
	// HostsPath, ResolvConfPath and HostnamePath are bind-mounted at
	// /etc/hosts, /etc/resolv.conf and /etc/hostname when set.
	HostsPath, ResolvConfPath, HostnamePath string
	CgroupsPath                             string // cgroupfs style "/berth/<id>"
	// CgroupNamespace gives the container a private cgroup namespace; Docker
	// does so by default on cgroup v2 hosts only (see UnifiedCgroups).
	CgroupNamespace bool
	ShmSize         int64 // default DefaultShmSize
	Labels          map[string]string
	// Privileged grants all capabilities and host devices and disables
	// seccomp and the masked and read-only paths.
	Privileged      bool
	CapAdd, CapDrop []string // "ALL" or names with or without CAP_
	NoNewPrivileges bool
	// ImageArch is the image's architecture (GOARCH names: "amd64", "386",
	// …). The default seccomp profile allows only the syscall ABIs it needs:
	// an amd64 image gets x86_64 alone, not Docker's x86/x32 extras, which
	// denies the 32-bit entry points (stricter than Docker) and makes runc
	// compile the filter in a third of the time. "" keeps Docker's set.
	ImageArch string
	// SeccompProfile is "" for Docker's default profile, "unconfined", or
	// the JSON text of a custom profile.
	SeccompProfile string

	// Resources are the cgroup limits (see Resources); nil sets none.
	Resources *specs.LinuxResources
	// Rlimits are the --ulimit settings (see Rlimits); the others are
	// inherited from the daemon.
	Rlimits     []specs.POSIXRlimit
	OOMScoreAdj int
	// Sysctls are set on top of (and override) Docker's network sysctls.
	Sysctls map[string]string
	// Tmpfs mounts a tmpfs at each key with the value's options (--tmpfs);
	// it replaces a default mount at the same place (/dev/shm).
	Tmpfs map[string]string
	// Devices and DeviceRules are extra host devices (see HostDevices).
	Devices     []specs.LinuxDevice
	DeviceRules []specs.LinuxDeviceCgroup
	// InitPath, when set, is a static init binary bind-mounted read-only
	// at /sbin/docker-init that runs as PID 1 in front of Args (--init).
	InitPath string
}

// InitDest is where --init's binary appears in the container (Docker's).
const InitDest = "/sbin/docker-init"

// Generate returns the runtime spec Docker would produce for opts.
func Generate(opts Options) (*specs.Spec, error) {
	if opts.Rootfs == "" || len(opts.Args) == 0 {
		return nil, fmt.Errorf("oci spec for %q needs a rootfs and args: %w", opts.ID, errdefs.ErrInvalidArgument)
	}
	caps, err := capabilities(opts.Privileged, opts.CapAdd, opts.CapDrop)
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:    SpecVersion,
		Root:       &specs.Root{Path: opts.Rootfs, Readonly: opts.Readonly},
		Hostname:   opts.Hostname,
		Domainname: opts.Domainname,
		Process:    process(opts, caps),
		Mounts:     mounts(opts),
		Linux:      linux(opts),
	}
	if s.Linux.Devices, s.Linux.Resources.Devices, err = devices(opts.Privileged); err != nil {
		return nil, err
	}
	addDevices(s, opts)
	if s.Linux.Seccomp, err = seccompFor(opts, s); err != nil {
		return nil, err
	}
	return s, nil
}

func process(opts Options, caps []string) *specs.Process {
	cwd := opts.Cwd
	if cwd == "" {
		cwd = "/"
	}
	oom := opts.OOMScoreAdj
	args := append([]string(nil), opts.Args...)
	if opts.InitPath != "" {
		args = append([]string{InitDest, "--"}, args...)
	}
	return &specs.Process{
		Terminal: opts.Tty,
		User:     opts.User,
		Args:     args,
		Rlimits:  clone(opts.Rlimits),
		Env:      env(opts),
		Cwd:      cwd,
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  caps,
			Effective: caps,
			Permitted: caps,
		},
		NoNewPrivileges: opts.NoNewPrivileges,
		OOMScoreAdj:     &oom,
	}
}

func linux(opts Options) *specs.Linux {
	l := &specs.Linux{
		CgroupsPath: opts.CgroupsPath,
		Namespaces:  namespaces(opts),
		Resources:   resources(opts.Resources),
		Sysctl:      sysctls(opts),
	}
	if !opts.Privileged {
		l.MaskedPaths = append([]string(nil), maskedPaths...)
		l.ReadonlyPaths = append([]string(nil), readonlyPaths...)
	}
	return l
}

// maskedPaths and readonlyPaths are Docker's defaults for unprivileged containers.
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
		"/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// namespaces follows Docker's order: mount, network, uts, pid, ipc (+cgroup).
func namespaces(opts Options) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	if opts.NetworkMode != NetworkHost {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: opts.NetNSPath})
	}
	ns = append(ns,
		specs.LinuxNamespace{Type: specs.UTSNamespace},
		specs.LinuxNamespace{Type: specs.PIDNamespace},
		specs.LinuxNamespace{Type: specs.IPCNamespace},
	)
	if opts.CgroupNamespace {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return ns
}

// sysctls are the ones Docker sets when the container has its own netns:
// unprivileged ICMP echo sockets and binding ports below 1024.
func sysctls(opts Options) map[string]string {
	var m map[string]string
	if opts.NetworkMode != NetworkHost {
		m = map[string]string{
			"net.ipv4.ping_group_range":           "0 2147483647",
			"net.ipv4.ip_unprivileged_port_start": "0",
		}
	}
	for k, v := range opts.Sysctls {
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v
	}
	return m
}

// resources copies r (the caller's value is not modified) or starts empty.
func resources(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil {
		return &specs.LinuxResources{}
	}
	c := *r
	return &c
}

func seccompFor(opts Options, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	switch {
	case opts.Privileged || opts.SeccompProfile == SeccompUnconfined:
		return nil, nil
	case opts.SeccompProfile == "":
		p, err := seccomp.GetDefaultProfile(s)
		if err == nil {
			p.Architectures = narrowArches(p.Architectures, opts.ImageArch)
		}
		return p, err
	}
	p, err := seccomp.LoadProfile(opts.SeccompProfile, s)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

func shmSize(opts Options) string {
	size := opts.ShmSize
	if size <= 0 {
		size = DefaultShmSize
	}
	return "size=" + strconv.FormatInt(size, 10)
}

// abiArches maps an image architecture to the seccomp architectures its
// binaries use.
var abiArches = map[string][]specs.Arch{
	"amd64": {specs.ArchX86_64},
	"386":   {specs.ArchX86},
	"arm64": {specs.ArchAARCH64},
	"arm":   {specs.ArchARM},
}

// narrowArches keeps the architectures of arches the image needs; an
// unknown image architecture keeps them all.
func narrowArches(arches []specs.Arch, imageArch string) []specs.Arch {
	want, ok := abiArches[imageArch]
	if !ok {
		return arches
	}
	var out []specs.Arch
	for _, a := range arches {
		for _, w := range want {
			if a == w {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 { // the host cannot run the image natively anyway
		return arches
	}
	return out
}

// SpecVersion is the ociVersion Berth's bundles declare: the oldest version
// of the runtime spec that covers every field Berth writes (none came in
// 1.2 or later), because runtimes check it — crun 1.8 (Debian 12) refuses
// anything newer than 1.1 with "unknown version specified".
const SpecVersion = "1.1.0"
