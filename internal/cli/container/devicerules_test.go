package container

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

func TestDeviceRuleFlags(t *testing.T) {
	tests := []struct {
		args    []string
		weights []blkiodev.WeightDevice
		rules   []string
		msg     string
	}{
		{args: []string{"--blkio-weight-device", "/dev/sda:300", "--blkio-weight-device", "/dev/vdb:10"},
			weights: []blkiodev.WeightDevice{{Path: "/dev/sda", Weight: 300}, {Path: "/dev/vdb", Weight: 10}}},
		{args: []string{"--device-cgroup-rule", "c 1:3 mr", "--device-cgroup-rule", "a *:* rwm"}, rules: []string{"c 1:3 mr", "a *:* rwm"}},
		{args: []string{"--blkio-weight-device", "/dev/sda"}, msg: `invalid argument "/dev/sda" for "--blkio-weight-device" flag: bad format: /dev/sda`},
		{args: []string{"--blkio-weight-device", "sda:300"}, msg: "bad format for device path: sda:300"},
		{args: []string{"--blkio-weight-device", "/dev/sda:5"}, msg: "invalid weight for device: /dev/sda:5"},
		{args: []string{"--blkio-weight-device", "/dev/sda:1001"}, msg: "invalid weight for device: /dev/sda:1001"},
		{args: []string{"--blkio-weight-device", "/dev/sda:lots"}, msg: "invalid weight for device: /dev/sda:lots"},
		{args: []string{"--device-cgroup-rule", "c 1:3"}, msg: `invalid argument "c 1:3" for "--device-cgroup-rule" flag: invalid device cgroup format 'c 1:3'`},
		{args: []string{"--device-cgroup-rule", "z 1:3 r"}, msg: "invalid device cgroup format 'z 1:3 r'"},
		{args: []string{"--device-cgroup-rule", "c 1:3 rwx"}, msg: "invalid device cgroup format 'c 1:3 rwx'"},
	}
	for _, tt := range tests {
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		var o resourceOptions
		addResourceFlags(fs, &o)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		hc := &container.HostConfig{}
		err := o.apply(hc)
		if tt.msg != "" {
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%v: %v, want %q", tt.args, err, tt.msg)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if len(hc.BlkioWeightDevice) != len(tt.weights) || strings.Join(hc.DeviceCgroupRules, ",") != strings.Join(tt.rules, ",") {
			t.Fatalf("%v: weights %v rules %q", tt.args, hc.BlkioWeightDevice, hc.DeviceCgroupRules)
		}
		for i, w := range tt.weights {
			if *hc.BlkioWeightDevice[i] != w {
				t.Errorf("%v: weight %d = %+v, want %+v", tt.args, i, *hc.BlkioWeightDevice[i], w)
			}
		}
	}
}
