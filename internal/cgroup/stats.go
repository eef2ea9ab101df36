package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	ctr "github.com/moby/moby/api/types/container"
)

// Stats is one reading of a container's cgroup in the Docker API's shapes.
// CPU lacks the host-wide fields (system usage, online CPUs): see Host.
type Stats struct {
	CPU    ctr.CPUStats
	Memory ctr.MemoryStats
	Blkio  ctr.BlkioStats
	Pids   ctr.PidsStats
}

// Stats reads the cgroup's CPU, memory, block I/O and pids counters. A
// missing cgroup (the container stopped) is fs.ErrNotExist; a controller
// the host lacks leaves its part empty.
func (c Cgroup) Stats() (Stats, error) {
	var s Stats
	var err error
	if c.v2 {
		err = c.statsV2(&s)
	} else {
		err = c.statsV1(&s)
	}
	return s, err
}

func (c Cgroup) statsV1(s *Stats) error {
	usage, _, err := readUint(c.file("cpuacct", "cpuacct.usage"))
	if err != nil {
		return err
	}
	s.CPU.CPUUsage.TotalUsage = usage
	if data, err := os.ReadFile(c.file("cpuacct", "cpuacct.usage_percpu")); err == nil {
		s.CPU.CPUUsage.PercpuUsage = parseUints(data)
	}
	if m, err := readKeyed(c.file("cpuacct", "cpuacct.stat")); err == nil {
		s.CPU.CPUUsage.UsageInUsermode = m["user"] * nsPerTick
		s.CPU.CPUUsage.UsageInKernelmode = m["system"] * nsPerTick
	}
	if m, err := readKeyed(c.file("cpu", "cpu.stat")); err == nil {
		s.CPU.ThrottlingData = ctr.ThrottlingData{Periods: m["nr_periods"], ThrottledPeriods: m["nr_throttled"], ThrottledTime: m["throttled_time"]}
	}
	c.memoryV1(&s.Memory)
	s.Blkio.IoServiceBytesRecursive = c.blkioV1("io_service_bytes_recursive")
	s.Blkio.IoServicedRecursive = c.blkioV1("io_serviced_recursive")
	s.Pids = c.pids("pids")
	return nil
}

func (c Cgroup) memoryV1(m *ctr.MemoryStats) {
	m.Usage, _, _ = readUint(c.file("memory", "memory.usage_in_bytes"))
	m.MaxUsage, _, _ = readUint(c.file("memory", "memory.max_usage_in_bytes"))
	m.Failcnt, _, _ = readUint(c.file("memory", "memory.failcnt"))
	m.Limit, _, _ = readUint(c.file("memory", "memory.limit_in_bytes"))
	m.Stats, _ = readKeyed(c.file("memory", "memory.stat"))
}

// blkioV1 reads the CFQ/BFQ counters, or the throttle ones (always kept by
// the kernel) when the scheduler's are absent or empty.
func (c Cgroup) blkioV1(name string) []ctr.BlkioStatEntry {
	for _, f := range []string{"blkio." + name, "blkio.throttle." + name} {
		data, err := os.ReadFile(c.file("blkio", f))
		if err != nil {
			continue
		}
		if e := parseBlkioV1(data); len(e) > 0 {
			return e
		}
	}
	return []ctr.BlkioStatEntry{}
}

// parseBlkioV1 parses "8:0 Read 4096" lines; the "Total N" line is skipped.
func parseBlkioV1(data []byte) []ctr.BlkioStatEntry {
	var out []ctr.BlkioStatEntry
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		maj, min, ok := parseDev(f[0])
		v, err := strconv.ParseUint(f[2], 10, 64)
		if !ok || err != nil {
			continue
		}
		out = append(out, ctr.BlkioStatEntry{Major: maj, Minor: min, Op: f[1], Value: v})
	}
	return out
}

func parseDev(s string) (uint64, uint64, bool) {
	a, b, ok := strings.Cut(s, ":")
	maj, err1 := strconv.ParseUint(a, 10, 64)
	min, err2 := strconv.ParseUint(b, 10, 64)
	return maj, min, ok && err1 == nil && err2 == nil
}

func (c Cgroup) pids(controller string) ctr.PidsStats {
	var p ctr.PidsStats
	p.Current, _, _ = readUint(c.file(controller, "pids.current"))
	p.Limit, _, _ = readUint(c.file(controller, "pids.max"))
	return p
}

func (c Cgroup) statsV2(s *Stats) error {
	m, err := readKeyed(c.file("", "cpu.stat"))
	if err != nil {
		return err
	}
	s.CPU.CPUUsage = ctr.CPUUsage{
		TotalUsage:        m["usage_usec"] * 1000,
		UsageInUsermode:   m["user_usec"] * 1000,
		UsageInKernelmode: m["system_usec"] * 1000,
	}
	s.CPU.ThrottlingData = ctr.ThrottlingData{Periods: m["nr_periods"], ThrottledPeriods: m["nr_throttled"], ThrottledTime: m["throttled_usec"] * 1000}
	s.Memory.Usage, _, _ = readUint(c.file("", "memory.current"))
	s.Memory.MaxUsage, _, _ = readUint(c.file("", "memory.peak"))
	s.Memory.Limit, _, _ = readUint(c.file("", "memory.max"))
	s.Memory.Stats, _ = readKeyed(c.file("", "memory.stat"))
	s.Blkio = c.ioV2()
	s.Pids = c.pids("")
	return nil
}

// ioV2 maps io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 …") to Docker's
// v2 shape: bytes and operations per device with ops "read" and "write".
func (c Cgroup) ioV2() ctr.BlkioStats {
	b := ctr.BlkioStats{IoServiceBytesRecursive: []ctr.BlkioStatEntry{}, IoServicedRecursive: []ctr.BlkioStatEntry{}}
	data, err := os.ReadFile(c.file("", "io.stat"))
	if err != nil {
		return b
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		maj, min, ok := parseDev(f[0])
		if !ok {
			continue
		}
		kv := map[string]uint64{}
		for _, p := range f[1:] {
			k, v, _ := strings.Cut(p, "=")
			kv[k], _ = strconv.ParseUint(v, 10, 64)
		}
		e := func(op string, v uint64) ctr.BlkioStatEntry {
			return ctr.BlkioStatEntry{Major: maj, Minor: min, Op: op, Value: v}
		}
		b.IoServiceBytesRecursive = append(b.IoServiceBytesRecursive, e("read", kv["rbytes"]), e("write", kv["wbytes"]))
		b.IoServicedRecursive = append(b.IoServicedRecursive, e("read", kv["rios"]), e("write", kv["wios"]))
	}
	return b
}

// nsPerTick converts cpuacct.stat's USER_HZ ticks (100 per second on
// every Linux architecture Berth runs on) to nanoseconds.
const nsPerTick = 1e9 / 100

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
	var m ctr.MemoryStats
	if c.v2 {
		var err error
		if m.Usage, _, err = readUint(c.file("", "memory.current")); err != nil {
			return 0, err
		}
		m.Stats, _ = readKeyed(c.file("", "memory.stat"))
		return workingSet(m, "inactive_file"), nil
	}
	var err error
	if m.Usage, _, err = readUint(c.file("memory", "memory.usage_in_bytes")); err != nil {
		return 0, err
	}
	m.Stats, _ = readKeyed(c.file("memory", "memory.stat"))
	return workingSet(m, "total_inactive_file"), nil
}

func workingSet(m ctr.MemoryStats, inactiveKey string) uint64 {
	if v := m.Stats[inactiveKey]; v < m.Usage {
		return m.Usage - v
	}
	return m.Usage
}

// IsNotExist reports whether err means the cgroup is gone.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
