package oci

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// hostCapBits returns the daemon's capability bounding set (as a bit mask)
// and whether it could be read; it is replaced in tests so golden files do
// not depend on the host.
var hostCapBits = sync.OnceValues(readBoundingSet)

func readBoundingSet() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return bits, err == nil
		}
	}
	return 0, false
}

// availableCaps is allCaps limited to what the daemon itself may grant:
// as Docker does, --privileged and --cap-add ALL give every capability of
// the host's bounding set (a nested or sandboxed host may lack some, and
// the runtime could not grant those).
func availableCaps() []string {
	bits, ok := hostCapBits()
	if !ok {
		return allCaps
	}
	var out []string
	for i, c := range allCaps { // allCaps is in capability-number order
		if bits&(1<<uint(i)) != 0 {
			out = append(out, c)
		}
	}
	return out
}
