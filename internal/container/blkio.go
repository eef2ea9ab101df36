package container

import (
	"fmt"
	"slices"

	"github.com/berth-engine/berth/internal/cgroup"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// unweightable removes from res the per-device weights (--blkio-weight-
// device) of block devices whose I/O scheduler takes none, and returns a
// warning for each. Only BFQ (and CFQ on old kernels) honour such weights:
// the runtime's write would fail with "operation not supported" and the
// container would not start, which is what Docker does. The request stays
// in HostConfig, so the weight applies once the device uses BFQ.
func unweightable(res *specs.LinuxResources) []string {
	if res == nil || res.BlockIO == nil {
		return nil
	}
	var warn []string
	res.BlockIO.WeightDevice = slices.DeleteFunc(res.BlockIO.WeightDevice, func(wd specs.LinuxWeightDevice) bool {
		sched := cgroup.BlockScheduler(wd.Major, wd.Minor)
		if sched == "" || cgroup.TakesWeights(sched) {
			return false
		}
		warn = append(warn, fmt.Sprintf("Block device %d:%d uses the %s I/O scheduler, which takes no per-device weight: "+
			"its --blkio-weight-device is not applied (it needs bfq).", wd.Major, wd.Minor, sched))
		return true
	})
	if len(res.BlockIO.WeightDevice) == 0 {
		res.BlockIO.WeightDevice = nil
	}
	return warn
}
