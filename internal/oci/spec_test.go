package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func baseOptions() Options {
	id := "3f4e5d6c7b8a"
	return Options{
		ID:             id,
		Rootfs:         "/var/lib/berth/containers/" + id + "/rootfs",
		Args:           []string{"sh", "-c", "echo hi"},
		Env:            []string{"PATH=/usr/local/bin:/usr/bin:/bin", "FOO=bar"},
		User:           specs.User{AdditionalGids: []uint32{0, 10}},
		Hostname:       id,
		NetworkMode:    NetworkBridge,
		NetNSPath:      "/run/berth/netns/" + id,
		HostsPath:      "/var/lib/berth/containers/" + id + "/hosts",
		ResolvConfPath: "/var/lib/berth/containers/" + id + "/resolv.conf",
		HostnamePath:   "/var/lib/berth/containers/" + id + "/hostname",
		CgroupsPath:    "/berth/" + id,
	}
}

func TestGenerateGolden(t *testing.T) {
	hostDevices = func() ([]specs.LinuxDevice, error) {
		return []specs.LinuxDevice{charDev("/dev/null", 1, 3), charDev("/dev/kmsg", 1, 11)}, nil
	}
	t.Cleanup(func() { hostDevices = readHostDevices })
	allHostCaps(t)
	tests := []struct {
		name string
		mod  func(*Options)
	}{
		{"default-bridge", func(*Options) {}},
		{"tty", func(o *Options) { o.Tty = true; o.Cwd = "/work" }},
		{"user", func(o *Options) {
			o.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 10}}
			o.Env = append(o.Env, "HOME=/home/berth")
		}},
		{"host-network", func(o *Options) { o.NetworkMode = NetworkHost; o.NetNSPath = ""; o.Hostname = "myhost" }},
		{"none", func(o *Options) { o.NetworkMode = NetworkNone; o.NetNSPath = ""; o.HostsPath = "" }},
		{"privileged", func(o *Options) { o.Privileged = true }},
		{"readonly", func(o *Options) { o.Readonly = true; o.ShmSize = 128 << 20 }},
		{"caps-nnp-cgroupns", func(o *Options) {
			o.CapAdd = []string{"net_admin", "CAP_SYS_PTRACE"}
			o.CapDrop = []string{"MKNOD", "cap_net_raw"}
			o.NoNewPrivileges = true
			o.CgroupNamespace = true
			o.Domainname = "example.org"
			o.SeccompProfile = SeccompUnconfined
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			tt.mod(&opts)
			s, err := Generate(opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tt.name+".json"), render(t, s))
		})
	}
}

// render marshals s with the seccomp filter reduced to its stable header:
// the rules depend on the host's architecture and kernel version.
func render(t *testing.T, s *specs.Spec) []byte {
	t.Helper()
	if sc := s.Linux.Seccomp; sc != nil {
		if len(sc.Syscalls) < 10 {
			t.Fatalf("default seccomp profile has only %d rules", len(sc.Syscalls))
		}
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: sc.DefaultAction, DefaultErrnoRet: sc.DefaultErrnoRet}
	}
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from generated spec (go test -update to accept):\n%s", path, got)
	}
}

func TestGenerateDefaults(t *testing.T) {
	s, err := Generate(baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s.Process.Capabilities.Inheritable != nil || s.Process.Capabilities.Ambient != nil {
		t.Error("inheritable/ambient capabilities must stay empty")
	}
	if s.Process.Rlimits != nil {
		t.Error("rlimits must be inherited, not set")
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno {
		t.Errorf("seccomp = %+v, want Docker's default profile", s.Linux.Seccomp)
	}
	if got := s.Process.Env[:2]; !slices.Equal(got, []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=3f4e5d6c7b8a"}) {
		t.Errorf("env = %q", got)
	}
}

func TestGenerateInvalid(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
	}{
		{"no args", func(o *Options) { o.Args = nil }},
		{"no rootfs", func(o *Options) { o.Rootfs = "" }},
		{"bad cap", func(o *Options) { o.CapAdd = []string{"CAP_NOPE"} }},
		{"bad seccomp", func(o *Options) { o.SeccompProfile = "{not json" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			tt.mod(&opts)
			if _, err := Generate(opts); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("err = %v, want invalid argument", err)
			}
		})
	}
}

// allHostCaps makes the host's bounding set hold every capability for t.
func allHostCaps(t *testing.T) {
	saved := hostCapBits
	hostCapBits = func() (uint64, bool) { return 1<<len(allCaps) - 1, true }
	t.Cleanup(func() { hostCapBits = saved })
}

func TestCapabilities(t *testing.T) {
	allHostCaps(t)
	tests := []struct {
		name        string
		priv        bool
		add, drop   []string
		want        []string
		wantLen     int
		wantMissing string
	}{
		{name: "default", wantLen: len(defaultCaps)},
		{name: "privileged", priv: true, wantLen: len(allCaps)},
		{name: "drop all add one", add: []string{"chown"}, drop: []string{"ALL"}, want: []string{"CAP_CHOWN"}},
		{name: "add all drop one", add: []string{"all"}, drop: []string{"SYS_ADMIN"}, wantLen: len(allCaps) - 1, wantMissing: "CAP_SYS_ADMIN"},
		{name: "drop one", drop: []string{"CAP_KILL"}, wantLen: len(defaultCaps) - 1, wantMissing: "CAP_KILL"},
		{name: "add present", add: []string{"KILL"}, wantLen: len(defaultCaps)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capabilities(tt.priv, tt.add, tt.drop)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("got %v want %v", got, tt.want)
			}
			if tt.wantLen != 0 && len(got) != tt.wantLen {
				t.Errorf("got %d caps want %d", len(got), tt.wantLen)
			}
			if tt.wantMissing != "" && slices.Contains(got, tt.wantMissing) {
				t.Errorf("%s not dropped", tt.wantMissing)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"default path", Options{Hostname: "h"}, []string{"PATH=" + DefaultPathEnv, "HOSTNAME=h"}},
		{"tty", Options{Hostname: "h", Tty: true}, []string{"PATH=" + DefaultPathEnv, "HOSTNAME=h", "TERM=xterm"}},
		{"override in place", Options{Hostname: "h", Tty: true, Env: []string{"TERM=dumb", "A=1", "PATH=/bin", "A=2"}},
			[]string{"PATH=/bin", "HOSTNAME=h", "TERM=dumb", "A=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := env(tt.opts); !slices.Equal(got, tt.want) {
				t.Errorf("got %q want %q", got, tt.want)
			}
		})
	}
}

func TestSeccompArchesFollowImage(t *testing.T) {
	all := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	cases := []struct {
		image string
		want  []specs.Arch
	}{
		{"amd64", []specs.Arch{specs.ArchX86_64}},
		{"386", []specs.Arch{specs.ArchX86}},
		{"", all},
		{"riscv64", all},
		{"arm64", all}, // not runnable natively on this host: leave the profile alone
	}
	for _, tc := range cases {
		got := narrowArches(all, tc.image)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v", tc.image, got)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %v", tc.image, got)
			}
		}
	}
}

func TestPrivilegedFollowsBoundingSet(t *testing.T) {
	saved := hostCapBits
	t.Cleanup(func() { hostCapBits = saved })
	// A sandbox without CAP_SYS_RESOURCE (24), like this test VM.
	hostCapBits = func() (uint64, bool) { return (1<<len(allCaps) - 1) &^ (1 << 24), true }
	for _, tc := range []struct {
		priv bool
		add  []string
	}{{priv: true}, {add: []string{"ALL"}}} {
		got, err := capabilities(tc.priv, tc.add, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(allCaps)-1 || slices.Contains(got, "CAP_SYS_RESOURCE") {
			t.Errorf("%+v: %d caps, CAP_SYS_RESOURCE present: %v", tc, len(got), slices.Contains(got, "CAP_SYS_RESOURCE"))
		}
	}
}
