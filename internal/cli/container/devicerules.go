package container

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
)

// deviceCgroupRuleRE is the docker CLI's check of --device-cgroup-rule.
var deviceCgroupRuleRE = regexp.MustCompile(`^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$`)

// applyDeviceRules sets --blkio-weight-device and --device-cgroup-rule on
// hc, rejecting malformed values with the docker CLI's messages.
func (o *resourceOptions) applyDeviceRules(hc *container.HostConfig) error {
	for _, v := range o.weightDevices {
		wd, err := parseWeightDevice(v)
		if err != nil {
			return flagError(v, "blkio-weight-device", err)
		}
		hc.BlkioWeightDevice = append(hc.BlkioWeightDevice, wd)
	}
	for _, v := range o.deviceCgroupRules {
		if !deviceCgroupRuleRE.MatchString(v) {
			return flagError(v, "device-cgroup-rule", fmt.Errorf("invalid device cgroup format '%s'", v))
		}
		hc.DeviceCgroupRules = append(hc.DeviceCgroupRules, v)
	}
	return nil
}

// parseWeightDevice parses "<device-path>:<weight>", the weight 10 to 1000
// (0 leaves the device at the container's --blkio-weight).
func parseWeightDevice(v string) (*blkiodev.WeightDevice, error) {
	path, w, ok := strings.Cut(v, ":")
	if !ok || path == "" {
		return nil, fmt.Errorf("bad format: %s", v)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return nil, fmt.Errorf("bad format for device path: %s", v)
	}
	n, err := strconv.ParseUint(w, 10, 16)
	if err != nil || n > 0 && (n < 10 || n > 1000) {
		return nil, fmt.Errorf("invalid weight for device: %s", v)
	}
	return &blkiodev.WeightDevice{Path: path, Weight: uint16(n)}, nil
}
