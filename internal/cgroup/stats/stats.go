// Package stats reads a container's cgroup counters in the Docker API's
// shapes (GET /containers/{id}/stats). It is apart from internal/cgroup so
// that the shim, which needs cgroup but not these shapes, does not link the
// Docker API types.
package stats

import (
	"os"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/cgroup"
	ctr "github.com/moby/moby/api/types/container"
)

// Stats is one reading of a container's cgroup in the Docker API's shapes.
// CPU lacks the host-wide fields (system usage, online CPUs): see cgroup.Host.
type Stats struct {
	CPU    ctr.CPUStats
	Memory ctr.MemoryStats
	Blkio  ctr.BlkioStats
	Pids   ctr.PidsStats
}

// Read reads c's CPU, memory, block I/O and pids counters. A missing
// cgroup (the container stopped) is fs.ErrNotExist; a controller the host
// lacks leaves its part empty.
func Read(c cgroup.Cgroup) (Stats, error) {
	var s Stats
	var err error
	if c.V2() {
		err = statsV2(c, &s)
	} else {
		err = statsV1(c, &s)
	}
	return s, err
}

func statsV1(c cgroup.Cgroup, s *Stats) error {
	usage, _, err := cgroup.ReadUint(c.File("cpuacct", "cpuacct.usage"))
	if err != nil {
		return err
	}
	s.CPU.CPUUsage.TotalUsage = usage
	if data, err := os.ReadFile(c.File("cpuacct", "cpuacct.usage_percpu")); err == nil {
		s.CPU.CPUUsage.PercpuUsage = cgroup.ParseUints(data)
	}
	if m, err := cgroup.ReadKeyed(c.File("cpuacct", "cpuacct.stat")); err == nil {
		s.CPU.CPUUsage.UsageInUsermode = m["user"] * cgroup.NsPerTick
		s.CPU.CPUUsage.UsageInKernelmode = m["system"] * cgroup.NsPerTick
	}
	if m, err := cgroup.ReadKeyed(c.File("cpu", "cpu.stat")); err == nil {
		s.CPU.ThrottlingData = ctr.ThrottlingData{Periods: m["nr_periods"], ThrottledPeriods: m["nr_throttled"], ThrottledTime: m["throttled_time"]}
	}
	memoryV1(c, &s.Memory)
	s.Blkio.IoServiceBytesRecursive = blkioV1(c, "io_service_bytes_recursive")
	s.Blkio.IoServicedRecursive = blkioV1(c, "io_serviced_recursive")
	s.Pids = pids(c, "pids")
	return nil
}

func memoryV1(c cgroup.Cgroup, m *ctr.MemoryStats) {
	m.Usage, _, _ = cgroup.ReadUint(c.File("memory", "memory.usage_in_bytes"))
	m.MaxUsage, _, _ = cgroup.ReadUint(c.File("memory", "memory.max_usage_in_bytes"))
	m.Failcnt, _, _ = cgroup.ReadUint(c.File("memory", "memory.failcnt"))
	m.Limit, _, _ = cgroup.ReadUint(c.File("memory", "memory.limit_in_bytes"))
	m.Stats, _ = cgroup.ReadKeyed(c.File("memory", "memory.stat"))
}

// blkioV1 reads the CFQ/BFQ counters, or the throttle ones (always kept by
// the kernel) when the scheduler's are absent or empty.
func blkioV1(c cgroup.Cgroup, name string) []ctr.BlkioStatEntry {
	for _, f := range []string{"blkio." + name, "blkio.throttle." + name} {
		data, err := os.ReadFile(c.File("blkio", f))
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

func pids(c cgroup.Cgroup, controller string) ctr.PidsStats {
	var p ctr.PidsStats
	p.Current, _, _ = cgroup.ReadUint(c.File(controller, "pids.current"))
	p.Limit, _, _ = cgroup.ReadUint(c.File(controller, "pids.max"))
	return p
}

func statsV2(c cgroup.Cgroup, s *Stats) error {
	m, err := cgroup.ReadKeyed(c.File("", "cpu.stat"))
	if err != nil {
		return err
	}
	s.CPU.CPUUsage = ctr.CPUUsage{
		TotalUsage:        m["usage_usec"] * 1000,
		UsageInUsermode:   m["user_usec"] * 1000,
		UsageInKernelmode: m["system_usec"] * 1000,
	}
	s.CPU.ThrottlingData = ctr.ThrottlingData{Periods: m["nr_periods"], ThrottledPeriods: m["nr_throttled"], ThrottledTime: m["throttled_usec"] * 1000}
	s.Memory.Usage, _, _ = cgroup.ReadUint(c.File("", "memory.current"))
	s.Memory.MaxUsage, _, _ = cgroup.ReadUint(c.File("", "memory.peak"))
	s.Memory.Limit, _, _ = cgroup.ReadUint(c.File("", "memory.max"))
	s.Memory.Stats, _ = cgroup.ReadKeyed(c.File("", "memory.stat"))
	s.Blkio = ioV2(c)
	s.Pids = pids(c, "")
	return nil
}

// ioV2 maps io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 …") to Docker's
// v2 shape: bytes and operations per device with ops "read" and "write".
func ioV2(c cgroup.Cgroup) ctr.BlkioStats {
	b := ctr.BlkioStats{IoServiceBytesRecursive: []ctr.BlkioStatEntry{}, IoServicedRecursive: []ctr.BlkioStatEntry{}}
	data, err := os.ReadFile(c.File("", "io.stat"))
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
