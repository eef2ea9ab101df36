package container

import (
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/cgroup"
	"github.com/berth-engine/berth/internal/oci"
	ctr "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// securityOptions is HostConfig.SecurityOpt parsed.
type securityOptions struct {
	noNewPrivileges bool
	seccomp         string // "", "unconfined" or the profile's JSON
}

// parseSecurityOpt reads Docker's --security-opt forms: no-new-privileges
// [=bool], seccomp=unconfined|<json>, apparmor=<profile>, label=… (the
// docker CLI has already replaced seccomp=<file> by the file's JSON).
// AppArmor and SELinux options fail clearly where the host lacks them.
func parseSecurityOpt(opts []string) (securityOptions, error) {
	var so securityOptions
	for _, opt := range opts {
		if opt == "no-new-privileges" {
			so.noNewPrivileges = true
			continue
		}
		sep := "="
		if !strings.Contains(opt, "=") {
			sep = ":" // deprecated form Docker still accepts
		}
		k, v, ok := strings.Cut(opt, sep)
		if !ok {
			return so, invalid("invalid --security-opt 1: %q", opt)
		}
		switch k {
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return so, invalid("invalid --security-opt 2: %q", opt)
			}
			so.noNewPrivileges = b
		case "seccomp":
			so.seccomp = v
			if v != oci.SeccompUnconfined && v != "builtin" {
				if err := oci.CheckSeccompProfile(v); err != nil {
					return so, err
				}
			} else if v == "builtin" {
				so.seccomp = ""
			}
		case "apparmor":
			if v != "unconfined" && !appArmorEnabled() {
				return so, invalid("apparmor profile %q requested, but AppArmor is not enabled on this host", v)
			}
		case "label":
			if v != "disable" && !seLinuxEnabled() {
				return so, invalid("SELinux label %q requested, but SELinux is not enabled on this host", v)
			}
		default:
			return so, invalid("invalid --security-opt 2: %q", opt)
		}
	}
	return so, nil
}

func appArmorEnabled() bool {
	data, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(data), "Y")
}

func seLinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

// namespacedSysctls are the sysctls that belong to a namespace the
// container owns (IPC; network unless it shares the host's); the others
// would change the host and are refused.
var namespacedSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

func checkSysctls(hc *ctr.HostConfig) error {
	for k := range hc.Sysctls {
		switch {
		case namespacedSysctls[k], strings.HasPrefix(k, "fs.mqueue."):
		case strings.HasPrefix(k, "net."):
			if hc.NetworkMode.IsHost() {
				return invalid("sysctl '%s' is not allowed: the container shares the host's network namespace", k)
			}
		default:
			return invalid("sysctl '%s' is not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*) can be set", k)
		}
	}
	return nil
}

// hostRlimit is replaced in tests.
var hostRlimit = func(resource int) (unix.Rlimit, error) {
	var rl unix.Rlimit
	err := unix.Getrlimit(resource, &rl)
	return rl, err
}

// checkUlimits refuses limits above the daemon's own hard limits, which
// the container inherits and could not raise (Docker lets runc fail at
// start instead).
func checkUlimits(ulimits []*ctr.Ulimit) error {
	rls, err := oci.Rlimits(ulimits)
	if err != nil {
		return err
	}
	for _, rl := range rls {
		host, err := hostRlimit(rl.Resource)
		if err != nil || host.Max == unix.RLIM_INFINITY {
			continue
		}
		if rl.Hard > host.Max {
			name := strings.ToLower(strings.TrimPrefix(rl.Type, "RLIMIT_"))
			return invalid("ulimit %s: hard limit %d is above the host's hard limit %d, which a container cannot exceed", name, rl.Hard, host.Max)
		}
	}
	return nil
}

func checkTmpfs(tmpfs map[string]string) error {
	for dst := range tmpfs {
		if !path.IsAbs(dst) {
			return invalid("invalid mount path: '%s' mount path must be absolute", dst)
		}
		if path.Clean(dst) == "/" {
			return invalid("invalid specification: destination can't be '/'")
		}
	}
	return nil
}

// checkRuntimeOptions validates what the runtime applies at start, so a
// bad value fails the create (400) rather than every start; it adapts hc
// as Docker does and returns Docker's warnings.
func checkRuntimeOptions(hc *ctr.HostConfig) ([]string, error) {
	warn, err := checkResources(&hc.Resources, cgroup.HostFeatures(), false)
	if err != nil {
		return nil, err
	}
	if hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000 {
		return nil, invalid("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj)
	}
	if err := oci.CheckCapabilities(hc.CapAdd, hc.CapDrop); err != nil {
		return nil, err
	}
	if _, err := parseSecurityOpt(hc.SecurityOpt); err != nil {
		return nil, err
	}
	if err := checkSysctls(hc); err != nil {
		return nil, err
	}
	if err := checkUlimits(hc.Ulimits); err != nil {
		return nil, err
	}
	if err := checkTmpfs(hc.Tmpfs); err != nil {
		return nil, err
	}
	for _, d := range hc.Devices {
		if _, _, err := oci.HostDevices(d); err != nil {
			return nil, err
		}
	}
	return warn, nil
}
