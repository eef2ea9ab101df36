package cgroup

import (
	"errors"
	"io/fs"
)

// NsPerTick converts cpuacct.stat's USER_HZ ticks (100 per second on
// every Linux architecture Berth runs on) to nanoseconds.
const NsPerTick = 1e9 / 100

// OOMKills returns how many processes the kernel's OOM killer killed in
// the cgroup (memory.oom_control's oom_kill on v1, memory.events' oom_kill
// on v2). Read it before the runtime deletes the cgroup.
func (c Cgroup) OOMKills() (uint64, error) {
	st, err := c.OOM()
	return st.Kills, err
}

// WorkingSet is the memory the cgroup uses that the kernel cannot simply
// drop: usage minus inactive file pages (what docker stats shows).
func (c Cgroup) WorkingSet() (uint64, error) {
	usageFile, statFile, inactive := "memory.usage_in_bytes", "memory.stat", "total_inactive_file"
	if c.v2 {
		usageFile, inactive = "memory.current", "inactive_file"
	}
	usage, _, err := ReadUint(c.File("memory", usageFile))
	if err != nil {
		return 0, err
	}
	st, _ := ReadKeyed(c.File("memory", statFile))
	if v := st[inactive]; v < usage {
		return usage - v, nil
	}
	return usage, nil
}

// IsNotExist reports whether err means the cgroup is gone.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
