package oci

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// deviceRuleRE is the --device-cgroup-rule syntax Docker accepts:
// "<type> <major>:<minor> <access>", type a, b or c, a number or * for
// major and minor, access a combination of r, w and m.
var deviceRuleRE = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// DeviceCgroupRules converts --device-cgroup-rule values to allow rules of
// the device cgroup, as Docker does ("*" is any number). They are
// appended after the default allowlist and the --device rules (see
// Options.DeviceRules); a malformed rule is an invalid argument with
// Docker's message.
func DeviceCgroupRules(rules []string) ([]specs.LinuxDeviceCgroup, error) {
	var out []specs.LinuxDeviceCgroup
	for _, r := range rules {
		m := deviceRuleRE.FindStringSubmatch(r)
		if m == nil {
			return nil, fmt.Errorf("invalid device cgroup rule format: '%s': %w", r, errdefs.ErrInvalidArgument)
		}
		major, err := deviceNumber(m[2])
		if err != nil {
			return nil, fmt.Errorf("invalid major value in device cgroup rule format: '%s': %w", r, errdefs.ErrInvalidArgument)
		}
		minor, err := deviceNumber(m[3])
		if err != nil {
			return nil, fmt.Errorf("invalid minor value in device cgroup rule format: '%s': %w", r, errdefs.ErrInvalidArgument)
		}
		out = append(out, specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Major: major, Minor: minor, Access: m[4]})
	}
	return out, nil
}

// deviceNumber parses a major or minor number; "*" (any) is nil, as the
// runtime spec has it: runc also takes -1, crun writes -1 to the cgroup.
func deviceNumber(s string) (*int64, error) {
	if s == "*" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, err
	}
	return &n, nil
}
