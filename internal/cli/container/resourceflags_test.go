package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

func TestResourceFlags(t *testing.T) {
	dir := t.TempDir()
	profile := filepath.Join(dir, "p.json")
	if err := os.WriteFile(profile, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	var o resourceOptions
	addResourceFlags(fs, &o)
	err := fs.Parse([]string{"--memory-swap", "-1", "--cpus", "0.5", "--pids-limit", "20", "--ulimit", "nofile=1024:2048",
		"--security-opt", "seccomp=" + profile, "--security-opt", "no-new-privileges", "--tmpfs", "/run:size=1m",
		"--device", "/dev/null:/dev/mynull:rw", "--sysctl", "net.ipv4.ip_forward=1", "--device-read-bps", "/dev/sda:1mb",
		"--device-write-iops", "/dev/sda:100", "--shm-size", "2m", "--oom-kill-disable", "--group-add", "10"})
	if err != nil {
		t.Fatal(err)
	}
	hc := &container.HostConfig{}
	if err := o.apply(hc); err != nil {
		t.Fatal(err)
	}
	switch {
	case hc.MemorySwap != -1, hc.NanoCPUs != 5e8, *hc.PidsLimit != 20, hc.ShmSize != 2<<20, !*hc.OomKillDisable:
		t.Errorf("resources %+v", hc.Resources)
	case len(hc.Ulimits) != 1 || hc.Ulimits[0].Hard != 2048:
		t.Errorf("ulimits %+v", hc.Ulimits)
	case hc.SecurityOpt[0] != `seccomp={"defaultAction":"SCMP_ACT_ALLOW"}` || hc.SecurityOpt[1] != "no-new-privileges":
		t.Errorf("security opts %q", hc.SecurityOpt)
	case hc.Tmpfs["/run"] != "size=1m", hc.Sysctls["net.ipv4.ip_forward"] != "1", hc.GroupAdd[0] != "10":
		t.Errorf("tmpfs %v sysctls %v", hc.Tmpfs, hc.Sysctls)
	case hc.Devices[0] != container.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"}:
		t.Errorf("devices %+v", hc.Devices)
	case hc.BlkioDeviceReadBps[0].Rate != 1<<20 || hc.BlkioDeviceWriteIOps[0].Rate != 100:
		t.Errorf("throttles %+v %+v", hc.BlkioDeviceReadBps[0], hc.BlkioDeviceWriteIOps[0])
	}
}

func TestResourceFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--cpus", "abc"}, `invalid argument "abc" for "--cpus" flag`},
		{[]string{"--memory-swap", "lots"}, `invalid argument "lots" for "--memory-swap" flag`},
		{[]string{"--ulimit", "nofile=3:2"}, `for "--ulimit" flag`},
		{[]string{"--security-opt", "seccomp=/nonexistent.json"}, "opening seccomp profile (/nonexistent.json) failed"},
		{[]string{"--security-opt", "apparmor"}, `invalid --security-opt: "apparmor"`},
		{[]string{"--device", "/dev/null:/dev/x:rwx"}, "invalid device mode: rwx"},
		{[]string{"--device-read-bps", "sda:1mb"}, "bad format: sda:1mb"},
		{[]string{"--sysctl", "novalue"}, "sysctl must be in the format KEY=VALUE"},
		{[]string{"--memory-swappiness", "200"}, "Valid memory swappiness range is 0-100"},
	}
	for _, tt := range tests {
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		var o resourceOptions
		addResourceFlags(fs, &o)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		err := o.apply(&container.HostConfig{})
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.msg)
		}
	}
}

func TestUpdateOptions(t *testing.T) {
	cmd := newUpdateCommand(nil)
	if err := cmd.Flags().Parse([]string{"-m", "128m", "--memory-swap", "256m", "--restart", "on-failure:3", "--pids-limit", "-1"}); err != nil {
		t.Fatal(err)
	}
	// the command's options live in its closure; rebuild them from its flags
	fs := cmd.Flags()
	u := updateOptions{}
	u.res.fs = fs
	u.memory, _ = fs.GetString("memory")
	u.res.memorySwap, _ = fs.GetString("memory-swap")
	u.res.pidsLimit, _ = fs.GetInt64("pids-limit")
	u.restart, _ = fs.GetString("restart")
	opts, err := u.options(fs)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Resources.Memory != 128<<20 || opts.Resources.MemorySwap != 256<<20 || *opts.Resources.PidsLimit != -1 ||
		opts.RestartPolicy.Name != "on-failure" || opts.RestartPolicy.MaximumRetryCount != 3 {
		t.Errorf("opts %+v %+v", opts.Resources, opts.RestartPolicy)
	}
	if _, err := (&updateOptions{}).options(pflag.NewFlagSet("x", pflag.ContinueOnError)); err == nil {
		t.Error("update without flags accepted")
	}
}
