package oci

import (
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
)

// defaultCaps is Docker's default capability set, in Docker's order.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// allCaps lists every capability known to Linux up to CAP_CHECKPOINT_RESTORE
// (40), in number order; privileged containers and --cap-add ALL get these.
var allCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// capabilities applies Docker's --privileged, --cap-add and --cap-drop rules
// to the default set: privileged means all; "ALL" in adds starts from all,
// "ALL" in drops starts from none; drops apply before adds.
func capabilities(privileged bool, adds, drops []string) ([]string, error) {
	if privileged {
		return slices.Clone(availableCaps()), nil
	}
	add, addAll, err := normalizeCaps(adds)
	if err != nil {
		return nil, err
	}
	drop, dropAll, err := normalizeCaps(drops)
	if err != nil {
		return nil, err
	}
	base := defaultCaps
	switch {
	case addAll:
		base = availableCaps()
	case dropAll:
		base = nil
	}
	var out []string
	for _, c := range base {
		if !slices.Contains(drop, c) {
			out = append(out, c)
		}
	}
	for _, c := range add {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// normalizeCaps upper-cases names, adds the CAP_ prefix and validates them;
// it reports whether "ALL" was present (and leaves it out of the list).
func normalizeCaps(in []string) ([]string, bool, error) {
	var out []string
	all := false
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "ALL" {
			all = true
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(allCaps, c) {
			return nil, false, fmt.Errorf("unknown capability: %q: %w", c, errdefs.ErrInvalidArgument)
		}
		out = append(out, c)
	}
	return out, all, nil
}
