package container

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/cgroup"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

var allFeatures = cgroup.Features{SwapLimit: true, OOMKillDisable: true, BlkioWeight: true, CPUs: "0-1", Mems: "0"}

func TestCheckResources(t *testing.T) {
	yes, swappy := true, int64(101)
	tests := []struct {
		name string
		r    ctr.Resources
		f    cgroup.Features
		msg  string // expected error text, "" for success
		warn string // expected warning substring
		want func(ctr.Resources) bool
	}{
		{name: "default swap is twice memory", r: ctr.Resources{Memory: 32 << 20}, f: allFeatures,
			want: func(r ctr.Resources) bool { return r.MemorySwap == 64<<20 }},
		{name: "memory too small", r: ctr.Resources{Memory: 1 << 20}, f: allFeatures, msg: "Minimum memory limit allowed is 6MB"},
		{name: "swap below memory", r: ctr.Resources{Memory: 64 << 20, MemorySwap: 32 << 20}, f: allFeatures,
			msg: "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{name: "swap without memory", r: ctr.Resources{MemorySwap: 32 << 20}, f: allFeatures,
			msg: "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{name: "swappiness", r: ctr.Resources{MemorySwappiness: &swappy}, f: allFeatures, msg: "valid memory swappiness range is 0-100"},
		{name: "reservation above limit", r: ctr.Resources{Memory: 32 << 20, MemoryReservation: 64 << 20}, f: allFeatures,
			msg: "Minimum memory limit can not be less than memory reservation limit, see usage"},
		{name: "nano and period", r: ctr.Resources{NanoCPUs: 1e9, CPUPeriod: 100000}, f: allFeatures,
			msg: "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{name: "too many cpus", r: ctr.Resources{NanoCPUs: 1e12}, f: allFeatures, msg: "Range of CPUs is from 0.01 to"},
		{name: "cfs period", r: ctr.Resources{CPUPeriod: 10}, f: allFeatures, msg: "CPU cfs period can not be less than 1ms"},
		{name: "cfs quota", r: ctr.Resources{CPUQuota: 10}, f: allFeatures, msg: "CPU cfs quota can not be less than 1ms"},
		{name: "cpuset unavailable", r: ctr.Resources{CpusetCpus: "5"}, f: allFeatures,
			msg: "Requested CPUs are not available - requested 5, available: 0-1"},
		{name: "cpuset invalid", r: ctr.Resources{CpusetMems: "x"}, f: allFeatures, msg: "Invalid value x for cpuset mems"},
		{name: "blkio weight", r: ctr.Resources{BlkioWeight: 5}, f: allFeatures, msg: "Range of blkio weight is from 10 to 1000"},
		{name: "blkio weight unsupported", r: ctr.Resources{BlkioWeight: 500}, f: cgroup.Features{CPUs: "0"},
			warn: "Weight discarded", want: func(r ctr.Resources) bool { return r.BlkioWeight == 0 }},
		{name: "oom kill disable without limit", r: ctr.Resources{OomKillDisable: &yes}, f: allFeatures, warn: "no memory limit is set"},
		{name: "cpu shares clamped", r: ctr.Resources{CPUShares: 1}, f: allFeatures, warn: "minimum allowed of 2",
			want: func(r ctr.Resources) bool { return r.CPUShares == 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			warn, err := checkResources(&r, tt.f, false)
			if tt.msg != "" {
				if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("err %v, want %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.warn != "" && !strings.Contains(strings.Join(warn, "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", warn, tt.warn)
			}
			if tt.want != nil && !tt.want(r) {
				t.Errorf("adapted resources %+v", r)
			}
		})
	}
}

func TestParseSecurityOpt(t *testing.T) {
	tests := []struct {
		opts []string
		nnp  bool
		sc   string
		msg  string
	}{
		{opts: []string{"no-new-privileges"}, nnp: true},
		{opts: []string{"no-new-privileges=false"}},
		{opts: []string{"no-new-privileges:true"}, nnp: true},
		{opts: []string{"seccomp=unconfined"}, sc: "unconfined"},
		{opts: []string{"seccomp=builtin"}},
		{opts: []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`}, sc: `{"defaultAction":"SCMP_ACT_ALLOW"}`},
		{opts: []string{"seccomp={bad"}, msg: "seccomp profile"},
		{opts: []string{"bogus"}, msg: `invalid --security-opt 1: "bogus"`},
		{opts: []string{"foo=bar"}, msg: `invalid --security-opt 2: "foo=bar"`},
		{opts: []string{"no-new-privileges=maybe"}, msg: `invalid --security-opt 2`},
	}
	if !appArmorEnabled() {
		tests = append(tests, struct {
			opts []string
			nnp  bool
			sc   string
			msg  string
		}{opts: []string{"apparmor=docker-default"}, msg: "AppArmor is not enabled on this host"})
	}
	for _, tt := range tests {
		so, err := parseSecurityOpt(tt.opts)
		if tt.msg != "" {
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q: err %v, want %q", tt.opts, err, tt.msg)
			}
			continue
		}
		if err != nil || so.noNewPrivileges != tt.nnp || so.seccomp != tt.sc {
			t.Errorf("%q: %+v %v", tt.opts, so, err)
		}
	}
}

func TestCheckSysctls(t *testing.T) {
	tests := []struct {
		key  string
		mode ctr.NetworkMode
		ok   bool
	}{
		{"kernel.shmmax", "bridge", true}, {"fs.mqueue.msg_max", "bridge", true}, {"net.ipv4.ip_forward", "bridge", true},
		{"net.ipv4.ip_forward", "host", false}, {"kernel.panic", "bridge", false}, {"vm.swappiness", "bridge", false},
	}
	for _, tt := range tests {
		err := checkSysctls(&ctr.HostConfig{NetworkMode: tt.mode, Sysctls: map[string]string{tt.key: "1"}})
		if (err == nil) != tt.ok {
			t.Errorf("%s (%s): %v", tt.key, tt.mode, err)
		}
	}
}

func TestCheckUlimits(t *testing.T) {
	saved := hostRlimit
	t.Cleanup(func() { hostRlimit = saved })
	hostRlimit = func(int) (unix.Rlimit, error) { return unix.Rlimit{Cur: 1024, Max: 20000}, nil }
	if err := checkUlimits([]*ctr.Ulimit{{Name: "nofile", Soft: 1024, Hard: 20000}}); err != nil {
		t.Fatal(err)
	}
	err := checkUlimits([]*ctr.Ulimit{{Name: "nofile", Soft: 1024, Hard: 30000}})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "hard limit 30000 is above the host's hard limit 20000") {
		t.Fatalf("err %v", err)
	}
}

func TestMergeResources(t *testing.T) {
	pids, unlimited := int64(50), int64(-1)
	cur := ctr.Resources{Memory: 64 << 20, MemorySwap: 128 << 20, CPUShares: 512, PidsLimit: &pids}
	got, err := mergeResources(cur, ctr.Resources{Memory: 96 << 20, PidsLimit: &unlimited})
	if err != nil {
		t.Fatal(err)
	}
	if got.Memory != 96<<20 || got.MemorySwap != 128<<20 || got.CPUShares != 512 || got.PidsLimit != nil {
		t.Errorf("merged %+v", got)
	}
	tests := []struct {
		cur, upd ctr.Resources
		msg      string
	}{
		{cur, ctr.Resources{Memory: 256 << 20}, "update the memoryswap at the same time"},
		{ctr.Resources{NanoCPUs: 1e9}, ctr.Resources{CPUQuota: 50000}, "CPU Quota cannot be updated as NanoCPUs has already been set"},
		{ctr.Resources{CPUQuota: 50000}, ctr.Resources{NanoCPUs: 1e9}, "Nano CPUs cannot be updated as CPU Quota has already been set"},
	}
	for _, tt := range tests {
		if _, err := mergeResources(tt.cur, tt.upd); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%+v: %v, want %q", tt.upd, err, tt.msg)
		}
	}
}

func TestCheckRestartUpdate(t *testing.T) {
	c := &Container{HostConfig: &ctr.HostConfig{AutoRemove: true}}
	if err := checkRestartUpdate(c, ctr.RestartPolicy{Name: "always"}); err == nil || !strings.Contains(err.Error(), "AutoRemove") {
		t.Errorf("autoremove: %v", err)
	}
	c.HostConfig.AutoRemove = false
	for _, p := range []ctr.RestartPolicy{{Name: "sometimes"}, {Name: "always", MaximumRetryCount: 2}, {Name: "on-failure", MaximumRetryCount: -1}} {
		if err := checkRestartUpdate(c, p); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if err := checkRestartUpdate(c, ctr.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}); err != nil {
		t.Error(err)
	}
}

func TestParseNetDev(t *testing.T) {
	data := []byte(`Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    2048      10    1    2    0     0          0         0     1024       5    3    4    0     0       0          0
`)
	got := parseNetDev(data)
	want := ctr.NetworkStats{RxBytes: 2048, RxPackets: 10, RxErrors: 1, RxDropped: 2, TxBytes: 1024, TxPackets: 5, TxErrors: 3, TxDropped: 4}
	if len(got) != 1 || got["eth0"] != want {
		t.Fatalf("got %+v", got)
	}
}
