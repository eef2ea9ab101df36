package container

import (
	"fmt"
	"maps"
	"slices"

	"github.com/berth-engine/berth/internal/cgroup"
	"github.com/berth-engine/berth/internal/oci"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// Docker's bounds for resource values.
const (
	minMemory      = 6 << 20 // 6 MiB
	minCPUShares   = 2
	maxCPUShares   = 262144
	minCPUPeriod   = 1000
	maxCPUPeriod   = 1000000
	minCPUQuota    = 1000
	minBlkioWeight = 10
	maxBlkioWeight = 1000
)

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, errdefs.ErrInvalidArgument)...)
}

// checkResources validates r with Docker's texts and adapts it as Docker
// does (settings the host cannot apply are dropped with a warning). For an
// update, zero values mean "unchanged".
func checkResources(r *ctr.Resources, f cgroup.Features, update bool) ([]string, error) {
	var warn []string
	w, err := checkMemory(r, f, update)
	if err != nil {
		return nil, err
	}
	warn = append(warn, w...)
	if w, err = checkCPU(r, f); err != nil {
		return nil, err
	}
	warn = append(warn, w...)
	if w, err = checkBlkio(r, f); err != nil {
		return nil, err
	}
	warn = append(warn, w...)
	if r.PidsLimit != nil && *r.PidsLimit <= 0 && !update {
		r.PidsLimit = nil // unlimited
	}
	res, err := oci.Resources(*r) // resolves throttled and weighted devices
	if err != nil {
		return nil, err
	}
	warn = append(warn, unweightable(res)...)
	if _, err := oci.DeviceCgroupRules(r.DeviceCgroupRules); err != nil {
		return nil, err
	}
	return warn, nil
}

func checkMemory(r *ctr.Resources, f cgroup.Features, update bool) ([]string, error) {
	var warn []string
	switch {
	case r.Memory != 0 && r.Memory < minMemory:
		return nil, invalid("Minimum memory limit allowed is 6MB")
	case r.Memory < 0:
		return nil, invalid("Minimum memory limit allowed is 6MB")
	case r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return nil, invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.Memory == 0 && r.MemorySwap > 0 && !update:
		return nil, invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
	case r.MemorySwap < -1:
		return nil, invalid("invalid memory swap limit %d: use -1 for unlimited swap", r.MemorySwap)
	case r.MemorySwappiness != nil && *r.MemorySwappiness != -1 && (*r.MemorySwappiness < 0 || *r.MemorySwappiness > 100):
		return nil, invalid("Invalid value: %v, valid memory swappiness range is 0-100", *r.MemorySwappiness)
	case r.MemoryReservation != 0 && r.MemoryReservation < minMemory:
		return nil, invalid("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation:
		return nil, invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	if r.MemorySwap != 0 && !f.SwapLimit {
		warn = append(warn, "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.")
		r.MemorySwap = 0
	}
	if !update && r.Memory > 0 && r.MemorySwap == 0 && f.SwapLimit {
		r.MemorySwap = 2 * r.Memory // Docker's default: as much swap as memory
	}
	if r.OomKillDisable != nil && *r.OomKillDisable {
		if !f.OOMKillDisable {
			warn = append(warn, "Your kernel does not support OomKillDisable. OomKillDisable discarded.")
			r.OomKillDisable = nil
		} else if r.Memory == 0 && !update {
			warn = append(warn, "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")
		}
	}
	return warn, nil
}

func checkCPU(r *ctr.Resources, f cgroup.Features) ([]string, error) {
	var warn []string
	// The host's CPUs are read only for --cpus: a sysfs read on every
	// create otherwise.
	ncpu := func() int64 { return int64(cgroup.OnlineCPUs()) }
	switch {
	case r.NanoCPUs > 0 && r.CPUPeriod > 0:
		return nil, invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.NanoCPUs > 0 && r.CPUQuota > 0:
		return nil, invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	case r.NanoCPUs != 0 && (r.NanoCPUs < 1e7 || r.NanoCPUs > ncpu()*1e9):
		n := ncpu()
		return nil, invalid("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
	case r.CPUPeriod != 0 && (r.CPUPeriod < minCPUPeriod || r.CPUPeriod > maxCPUPeriod):
		return nil, invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < minCPUQuota:
		return nil, invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	case r.CPUShares < 0:
		return nil, invalid("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	}
	switch {
	case r.CPUShares > 0 && r.CPUShares < minCPUShares:
		warn = append(warn, fmt.Sprintf("Changing requested CPUShares of %d to minimum allowed of %d", r.CPUShares, minCPUShares))
		r.CPUShares = minCPUShares
	case r.CPUShares > maxCPUShares:
		warn = append(warn, fmt.Sprintf("Changing requested CPUShares of %d to maximum allowed of %d", r.CPUShares, maxCPUShares))
		r.CPUShares = maxCPUShares
	}
	if err := checkSet(r.CpusetCpus, f.CPUs, "Invalid value %s for cpuset cpus", "Requested CPUs are not available - requested %s, available: %s"); err != nil {
		return nil, err
	}
	if err := checkSet(r.CpusetMems, f.Mems, "Invalid value %s for cpuset mems", "Requested memory nodes are not available - requested %s, available: %s"); err != nil {
		return nil, err
	}
	return warn, nil
}

func checkSet(req, avail, invalidText, unavailText string) error {
	if req == "" {
		return nil
	}
	want, err := cgroup.ParseSet(req)
	if err != nil {
		return invalid(invalidText, req)
	}
	have, _ := cgroup.ParseSet(avail)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !have[k] {
			return invalid(unavailText, req, avail)
		}
	}
	return nil
}

func checkBlkio(r *ctr.Resources, f cgroup.Features) ([]string, error) {
	var warn []string
	if r.BlkioWeight > 0 && (r.BlkioWeight < minBlkioWeight || r.BlkioWeight > maxBlkioWeight) {
		return nil, invalid("Range of blkio weight is from 10 to 1000")
	}
	for _, wd := range r.BlkioWeightDevice {
		if wd != nil && wd.Weight != 0 && (wd.Weight < minBlkioWeight || wd.Weight > maxBlkioWeight) { // 0: unset
			return nil, invalid("Range of blkio weight is from 10 to 1000")
		}
	}
	if r.BlkioWeight > 0 && !f.BlkioWeight {
		warn = append(warn, "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		r.BlkioWeight = 0
	}
	if len(r.BlkioWeightDevice) > 0 && !f.BlkioWeight {
		warn = append(warn, "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.")
		r.BlkioWeightDevice = nil
	}
	return warn, nil
}
