package cgroup

import (
	"fmt"
	"os"
	"strings"
)

// sysDevBlock is where the kernel lists block devices by major:minor.
var sysDevBlock = "/sys/dev/block"

// BlockScheduler returns the active I/O scheduler of block device
// major:minor (a partition's is its disk's), or "" when the kernel lists
// none for it.
func BlockScheduler(major, minor int64) string {
	base := fmt.Sprintf("%s/%d:%d", sysDevBlock, major, minor)
	for _, p := range []string{base + "/queue/scheduler", base + "/../queue/scheduler"} {
		if data, err := os.ReadFile(p); err == nil {
			return activeScheduler(string(data))
		}
	}
	return ""
}

// activeScheduler picks the bracketed entry of a queue/scheduler file
// ("none [mq-deadline] kyber bfq").
func activeScheduler(s string) string {
	i, j := strings.Index(s, "["), strings.Index(s, "]")
	if i < 0 || j < i {
		return strings.TrimSpace(s)
	}
	return s[i+1 : j]
}

// TakesWeights reports whether an I/O scheduler honours per-device cgroup
// weights (blkio.*weight_device, io.bfq.weight): BFQ, and CFQ on old
// kernels. Writing a weight for a device under another scheduler fails.
func TakesWeights(scheduler string) bool { return scheduler == "bfq" || scheduler == "cfq" }
