package oci

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	ctr "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestGenerateResourcesGolden pins the spec of representative run flag
// sets: limits, ulimits, sysctls, tmpfs, devices, --init, security options.
func TestGenerateResourcesGolden(t *testing.T) {
	hostDevices = func() ([]specs.LinuxDevice, error) { return nil, nil }
	t.Cleanup(func() { hostDevices = readHostDevices })
	statBlock = func(path string) (int64, int64, error) { return 8, 0, nil }
	t.Cleanup(func() { statBlock = statBlockHost })
	allHostCaps(t)
	swap, pids, oomOff := int64(-1), int64(20), true
	tests := []struct {
		name string
		res  ctr.Resources
		mod  func(*Options)
	}{
		{"limits-memory-cpus", ctr.Resources{Memory: 32 << 20, MemorySwap: 64 << 20, MemoryReservation: 16 << 20,
			NanoCPUs: 5e8, CPUShares: 512, CpusetCpus: "0", CpusetMems: "0", PidsLimit: &pids}, nil},
		{"limits-cfs-blkio", ctr.Resources{Memory: 64 << 20, MemorySwap: swap, OomKillDisable: &oomOff, CPUPeriod: 50000, CPUQuota: 25000,
			BlkioWeight: 300, BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{{Path: "/dev/sda", Rate: 1 << 20}},
			BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{{Path: "/dev/sda", Rate: 100}}}, nil},
		{"ulimits-sysctl-tmpfs-init", ctr.Resources{}, func(o *Options) {
			o.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048}}
			o.OOMScoreAdj = 500
			o.Sysctls = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "1048576"}
			o.Tmpfs = map[string]string{"/run": "size=1m,exec", "/dev/shm": "size=2m"}
			o.InitPath = "/usr/local/bin/berth"
			o.Readonly = true
		}},
		{"devices-security", ctr.Resources{}, func(o *Options) {
			mode := specs.LinuxDevice{Path: "/dev/mynull", Type: "c", Major: 1, Minor: 3}
			maj, min := int64(1), int64(3)
			o.Devices = []specs.LinuxDevice{mode}
			o.DeviceRules = []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: &maj, Minor: &min, Access: "rw"}}
			o.NoNewPrivileges = true
			o.CapAdd = []string{"ALL"}
			o.CapDrop = []string{"SYS_ADMIN"}
			o.User.AdditionalGids = append(o.User.AdditionalGids, 10, 100)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			r, err := Resources(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			opts.Resources = r
			if tt.mod != nil {
				tt.mod(&opts)
			}
			s, err := Generate(opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tt.name+".json"), render(t, s))
		})
	}
}

var statBlockHost = statBlock

func TestResourcesConversion(t *testing.T) {
	r, err := Resources(ctr.Resources{NanoCPUs: 1.5e9})
	if err != nil {
		t.Fatal(err)
	}
	if *r.CPU.Period != 100000 || *r.CPU.Quota != 150000 {
		t.Errorf("cpus 1.5: period %d quota %d", *r.CPU.Period, *r.CPU.Quota)
	}
	if r.Memory != nil || r.Pids != nil || r.BlockIO != nil {
		t.Errorf("unset limits present: %+v", r)
	}
	zero := int64(0)
	if r, _ := Resources(ctr.Resources{PidsLimit: &zero}); r.Pids != nil {
		t.Error("pids limit 0 must mean unlimited")
	}
	_, err = Resources(ctr.Resources{BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{{Path: "/nonexistent", Rate: 1}}})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad device: %v", err)
	}
}

func TestTmpfsOptions(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{""}, []string{"noexec", "nosuid", "nodev"}},
		{[]string{"size=64m"}, []string{"noexec", "nosuid", "nodev", "size=64m"}},
		{[]string{"exec,size=1m,size=2m"}, []string{"nosuid", "nodev", "exec", "size=2m"}},
		{[]string{"ro,mode=1777"}, []string{"noexec", "nosuid", "nodev", "ro", "mode=1777"}},
	}
	for _, tt := range tests {
		if got := TmpfsOptions(tt.in[0]); !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q want %q", tt.in[0], got, tt.want)
		}
	}
}

func TestRlimits(t *testing.T) {
	got, err := Rlimits([]*ctr.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 10, Hard: 10}})
	if err != nil || len(got) != 2 || got[0].Type != "RLIMIT_NOFILE" || got[0].Hard != 2048 || got[1].Type != "RLIMIT_NPROC" {
		t.Fatalf("got %+v %v", got, err)
	}
	for _, bad := range []*units.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}, {Name: "nofile", Soft: 3, Hard: 2}, {Name: "as", Soft: 1, Hard: 1}} {
		if _, err := Rlimits([]*ctr.Ulimit{bad}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestHostDevices(t *testing.T) {
	devs, rules, err := HostDevices(ctr.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].Path != "/dev/mynull" || devs[0].Major != 1 || devs[0].Minor != 3 || rules[0].Access != "rw" {
		t.Fatalf("devs %+v rules %+v", devs, rules)
	}
	for _, m := range []ctr.DeviceMapping{{PathOnHost: "/nonexistent"}, {PathOnHost: "/etc/passwd"}, {PathOnHost: "/dev/null", CgroupPermissions: "rwx"}} {
		if _, _, err := HostDevices(m); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: %v", m, err)
		}
	}
}

func TestCheckSeccompProfile(t *testing.T) {
	if err := CheckSeccompProfile(`{"defaultAction":"SCMP_ACT_ALLOW"}`); err != nil {
		t.Error(err)
	}
	if err := CheckSeccompProfile(`{nope`); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad profile: %v", err)
	}
}
