package oci

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOptions is what `docker exec` changes in the container's process to
// make the exec's process.
type ExecOptions struct {
	Args []string
	Env  []string    // layered over the container's env (exec wins)
	Cwd  string      // "" keeps the container's
	User *specs.User // nil keeps the container's
	Home string      // HOME for User, when the exec's Env sets none
	Tty  bool        // allocate a pty; adds TERM=xterm unless set
	// Privileged grants every capability, as docker exec --privileged.
	Privileged bool
}

// ExecProcess derives an exec's process from base, the container's process
// in its runtime spec: the same env, capabilities, rlimits, no-new-privileges
// and security labels, with the exec's command, user, directory and tty.
func ExecProcess(base specs.Process, o ExecOptions) *specs.Process {
	p := base
	p.Args = slices.Clone(o.Args)
	p.Terminal = o.Tty
	p.ConsoleSize = nil
	p.Env = slices.Clone(base.Env)
	if o.User != nil {
		p.User = *o.User
		if o.Home != "" {
			p.Env = mergeEnv(p.Env, []string{"HOME=" + o.Home})
		}
	}
	if o.Tty && !hasEnv(p.Env, "TERM") && !hasEnv(o.Env, "TERM") {
		p.Env = append(p.Env, "TERM=xterm")
	}
	p.Env = mergeEnv(p.Env, o.Env)
	if o.Cwd != "" {
		p.Cwd = o.Cwd
	}
	if o.Privileged {
		all := boundedCaps()
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: slices.Clone(all), Permitted: slices.Clone(all)}
	} else if base.Capabilities != nil {
		c := *base.Capabilities
		p.Capabilities = &c
	}
	return &p
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if envKey(kv) == key {
			return true
		}
	}
	return false
}

// hostCapBound returns the daemon's capability bounding set (CapBnd in
// /proc/self/status); false when it cannot be read.
var hostCapBound = func() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// boundedCaps is every capability the daemon itself may grant: a process
// cannot gain a capability outside its parent's bounding set, so an exec
// asking for one would fail (hosts that run Berth in a restricted sandbox
// lack some).
func boundedCaps() []string {
	bnd, ok := hostCapBound()
	if !ok {
		return slices.Clone(allCaps)
	}
	var out []string
	for i, c := range allCaps {
		if bnd&(1<<uint(i)) != 0 {
			out = append(out, c)
		}
	}
	return out
}
