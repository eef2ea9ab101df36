package cgroup

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// SystemCPUUsage is the host's cumulative CPU time in nanoseconds (all
// CPUs, idle included) from /proc/stat, Docker's system_cpu_usage.
func SystemCPUUsage() (uint64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStat(data)
}

func parseProcStat(data []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] != "cpu" {
			continue
		}
		var ticks uint64
		for _, v := range f[1:8] { // user nice system idle iowait irq softirq
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: %w", err)
			}
			ticks += n
		}
		return ticks * NsPerTick, nil
	}
	return 0, fmt.Errorf("/proc/stat has no cpu line")
}

// OnlineCPUs is the number of CPUs online on the host.
func OnlineCPUs() uint32 {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 1
	}
	set, err := ParseSet(strings.TrimSpace(string(data)))
	if err != nil || len(set) == 0 {
		return 1
	}
	return uint32(len(set))
}

// MachineMemory is the host's total RAM in bytes.
func MachineMemory() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// Features are the optional cgroup controls of this host, the ones Docker
// checks before honouring (or discarding with a warning) a setting.
type Features struct {
	SwapLimit      bool // memory+swap limit (v1 memory.memsw.*, v2 memory.swap.max)
	OOMKillDisable bool // v1 only
	BlkioWeight    bool // blkio.weight / blkio.bfq.weight (v1), io.weight / io.bfq.weight (v2)
	CPUs           string
	Mems           string
}

// HostFeatures probes the root cgroup for the optional controls. The probe
// globs whole hierarchies, so its answer is reused for featuresTTL: every
// container create asks, and the answer changes only when an administrator
// mounts a controller or switches a disk's scheduler.
func HostFeatures() Features {
	featuresMu.Lock()
	defer featuresMu.Unlock()
	if now := time.Now(); featuresAt.IsZero() || now.Sub(featuresAt) > featuresTTL {
		features, featuresAt = probeFeatures(), now
	}
	return features
}

const featuresTTL = 10 * time.Second

var (
	featuresMu sync.Mutex
	featuresAt time.Time
	features   Features
)

func probeFeatures() Features {
	f := Features{CPUs: readTrim("/sys/devices/system/cpu/online"), Mems: readTrim("/sys/devices/system/node/online")}
	if f.Mems == "" {
		f.Mems = "0"
	}
	if Unified() {
		f.SwapLimit = exists(Root, "*", "memory.swap.max")
		f.BlkioWeight = exists(Root, "*", "io.weight") || exists(Root, "*", "io.bfq.weight")
		return f
	}
	f.SwapLimit = exists(Root, "memory", "memory.memsw.limit_in_bytes")
	f.OOMKillDisable = exists(Root, "memory", "memory.oom_control")
	// BFQ's weight files exist only below the root cgroup.
	f.BlkioWeight = exists(Root, "blkio", "blkio.weight") || exists(Root, "blkio/*", "blkio.weight") ||
		exists(Root, "blkio/*", "blkio.bfq.weight") || bfqScheduler()
	return f
}

// bfqScheduler reports whether a block device offers the BFQ scheduler:
// its cgroup policy (blkio.bfq.weight*) is then registered.
func bfqScheduler() bool {
	files, _ := filepath.Glob("/sys/block/*/queue/scheduler")
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil && strings.Contains(string(data), "bfq") {
			return true
		}
	}
	return false
}

// exists checks root/dir/name; a "*" dir matches any child cgroup (v2
// root cgroups lack most control files).
func exists(root, dir, name string) bool {
	m, _ := filepath.Glob(filepath.Join(root, dir, name))
	return len(m) > 0
}

func readTrim(path string) string {
	data, _ := os.ReadFile(path)
	return strings.TrimSpace(string(data))
}

// ParseSet parses a cpuset list ("0-2,5") into its members.
func ParseSet(s string) (map[int]bool, error) {
	set := map[int]bool{}
	if s == "" {
		return set, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("invalid set %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("invalid set %q", s)
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set, nil
}
