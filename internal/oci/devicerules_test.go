package oci

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/blkiodev"
	ctr "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestGenerateWeightDeviceRulesGolden pins the spec of
// `run --blkio-weight 500 --blkio-weight-device /dev/sda:300
// --device /dev/null:/dev/mynull:rw --device-cgroup-rule 'c 1:3 mr'
// --device-cgroup-rule 'b *:* r'`: the weight devices in blockIO, the
// rules after the default allowlist and the --device rules.
func TestGenerateWeightDeviceRulesGolden(t *testing.T) {
	statBlock = func(path string) (int64, int64, error) { return 8, 0, nil }
	t.Cleanup(func() { statBlock = statBlockHost })
	allHostCaps(t)
	r, err := Resources(ctr.Resources{BlkioWeight: 500, BlkioWeightDevice: []*blkiodev.WeightDevice{{Path: "/dev/sda", Weight: 300}}})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := DeviceCgroupRules([]string{"c 1:3 mr", "b *:* r"})
	if err != nil {
		t.Fatal(err)
	}
	opts := baseOptions()
	opts.Resources = r
	maj, min := int64(1), int64(3)
	opts.Devices = []specs.LinuxDevice{{Path: "/dev/mynull", Type: "c", Major: 1, Minor: 3}}
	opts.DeviceRules = append([]specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: &maj, Minor: &min, Access: "rw"}}, rules...)
	s, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "weightdevice-cgrouprules.json"), render(t, s))
}

func TestDeviceCgroupRules(t *testing.T) {
	tests := []struct {
		in           string
		typ, access  string
		major, minor int64
		bad          bool
	}{
		{in: "c 1:3 mr", typ: "c", major: 1, minor: 3, access: "mr"},
		{in: "a *:* rwm", typ: "a", major: -1, minor: -1, access: "rwm"},
		{in: "b 8:* w", typ: "b", major: 8, minor: -1, access: "w"},
		{in: "x 1:3 r", bad: true},
		{in: "c 1:3", bad: true},
		{in: "c 1:3 rwx", bad: true},
		{in: "c 1-3 r", bad: true},
		{in: "c 1:3 rwmr", bad: true},
		{in: " c 1:3 r", bad: true},
		{in: "c 99999999999999999999:1 r", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := DeviceCgroupRules([]string{tt.in})
		if tt.bad {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%q: err %v, want invalid argument", tt.in, err)
			}
			continue
		}
		if err != nil || len(got) != 1 {
			t.Fatalf("%q: %v %v", tt.in, got, err)
		}
		g := got[0]
		if !g.Allow || g.Type != tt.typ || number(g.Major) != tt.major || number(g.Minor) != tt.minor || g.Access != tt.access {
			t.Errorf("%q: got %+v (major %d minor %d)", tt.in, g, number(g.Major), number(g.Minor))
		}
	}
	if r, err := Resources(ctr.Resources{BlkioWeightDevice: []*blkiodev.WeightDevice{nil}, BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{nil}}); err != nil || r.BlockIO != nil {
		t.Errorf("null devices: %+v %v", r, err)
	}
	if _, err := DeviceCgroupRules([]string{"c 1:3 r", "bogus"}); err == nil || err.Error() != "invalid device cgroup rule format: 'bogus': invalid argument" {
		t.Errorf("message: %v", err)
	}
}

// number is a rule's major or minor, -1 for any (nil).
func number(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
