package oci

import (
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/blkiodev"
	ctr "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// DefaultCPUPeriod is the CFS period --cpus uses (100 ms), as Docker.
const DefaultCPUPeriod = 100000

// Resources converts Docker's resource settings to the runtime spec's
// cgroup limits, as Docker's daemon does: --cpus becomes a quota over a
// 100 ms period, throttled block devices are resolved to major:minor on
// the host. The result is also what `runc update` takes. Device mappings
// and ulimits are not cgroup limits: see HostDevices and Rlimits.
func Resources(r ctr.Resources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{Memory: memory(r), CPU: cpu(r)}
	if r.PidsLimit != nil && *r.PidsLimit > 0 {
		out.Pids = &specs.LinuxPids{Limit: ptr(*r.PidsLimit)}
	}
	bio, err := blockIO(r)
	if err != nil {
		return nil, err
	}
	out.BlockIO = bio
	return out, nil
}

func memory(r ctr.Resources) *specs.LinuxMemory {
	m := &specs.LinuxMemory{}
	if r.Memory > 0 {
		m.Limit = ptr(r.Memory)
	}
	if r.MemoryReservation > 0 {
		m.Reservation = ptr(r.MemoryReservation)
	}
	if r.MemorySwap != 0 {
		m.Swap = ptr(r.MemorySwap)
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness >= 0 {
		m.Swappiness = ptr(uint64(*r.MemorySwappiness))
	}
	if r.OomKillDisable != nil && *r.OomKillDisable {
		m.DisableOOMKiller = ptr(true)
	}
	if *m == (specs.LinuxMemory{}) {
		return nil
	}
	return m
}

func cpu(r ctr.Resources) *specs.LinuxCPU {
	c := &specs.LinuxCPU{Cpus: r.CpusetCpus, Mems: r.CpusetMems}
	if r.CPUShares > 0 {
		c.Shares = ptr(uint64(r.CPUShares))
	}
	switch {
	case r.NanoCPUs > 0:
		c.Period = ptr(uint64(DefaultCPUPeriod))
		c.Quota = ptr(r.NanoCPUs * DefaultCPUPeriod / 1e9)
	default:
		if r.CPUPeriod > 0 {
			c.Period = ptr(uint64(r.CPUPeriod))
		}
		if r.CPUQuota != 0 {
			c.Quota = ptr(r.CPUQuota)
		}
	}
	if c.Shares == nil && c.Period == nil && c.Quota == nil && c.Cpus == "" && c.Mems == "" {
		return nil
	}
	return c
}

func blockIO(r ctr.Resources) (*specs.LinuxBlockIO, error) {
	b := &specs.LinuxBlockIO{}
	if r.BlkioWeight > 0 {
		b.Weight = ptr(r.BlkioWeight)
	}
	for _, wd := range r.BlkioWeightDevice {
		if wd == nil { // JSON null
			continue
		}
		dev, err := blockDevice(wd.Path)
		if err != nil {
			return nil, err
		}
		b.WeightDevice = append(b.WeightDevice, specs.LinuxWeightDevice{LinuxBlockIODevice: dev, Weight: ptr(wd.Weight)})
	}
	var err error
	lists := []struct {
		in  []*blkiodev.ThrottleDevice
		out *[]specs.LinuxThrottleDevice
	}{
		{r.BlkioDeviceReadBps, &b.ThrottleReadBpsDevice},
		{r.BlkioDeviceWriteBps, &b.ThrottleWriteBpsDevice},
		{r.BlkioDeviceReadIOps, &b.ThrottleReadIOPSDevice},
		{r.BlkioDeviceWriteIOps, &b.ThrottleWriteIOPSDevice},
	}
	for _, l := range lists {
		if *l.out, err = throttleDevices(l.in); err != nil {
			return nil, err
		}
	}
	if b.Weight == nil && b.WeightDevice == nil && b.ThrottleReadBpsDevice == nil && b.ThrottleWriteBpsDevice == nil &&
		b.ThrottleReadIOPSDevice == nil && b.ThrottleWriteIOPSDevice == nil {
		return nil, nil
	}
	return b, nil
}

func throttleDevices(in []*blkiodev.ThrottleDevice) ([]specs.LinuxThrottleDevice, error) {
	var out []specs.LinuxThrottleDevice
	for _, d := range in {
		if d == nil { // JSON null
			continue
		}
		dev, err := blockDevice(d.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, specs.LinuxThrottleDevice{LinuxBlockIODevice: dev, Rate: d.Rate})
	}
	return out, nil
}

// statBlock is replaced in tests so golden files do not depend on the host.
var statBlock = func(path string) (major, minor int64, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, fmt.Errorf("not a block device")
	}
	return int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev)), nil
}

func blockDevice(path string) (specs.LinuxBlockIODevice, error) {
	major, minor, err := statBlock(path)
	if err != nil {
		return specs.LinuxBlockIODevice{}, fmt.Errorf("invalid block device %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return specs.LinuxBlockIODevice{Major: major, Minor: minor}, nil
}

func ptr[T any](v T) *T { return &v }
