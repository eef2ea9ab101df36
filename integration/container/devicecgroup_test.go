package container

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/blkiodev"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// testLoop attaches a file starting with text as a loop device for t: a
// block device of the test's own, outside the default device allowlist.
func testLoop(t *testing.T, text string) (dev string, major, minor uint32) {
	t.Helper()
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("losetup (util-linux) not installed")
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	data := make([]byte, 1<<20) // whole 512-byte sectors
	copy(data, text)
	if err := os.WriteFile(img, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		t.Skipf("no free loop device: %v", err)
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	var st unix.Stat_t
	if err := unix.Stat(dev, &st); err != nil {
		t.Fatal(err)
	}
	return dev, unix.Major(st.Rdev), unix.Minor(st.Rdev)
}

// useScheduler switches the I/O scheduler of dev (a loop device of the
// test's own) for t; false when the kernel lacks it. BFQ is the one whose
// cgroup policy takes per-device weights.
func useScheduler(t *testing.T, dev, sched string) bool {
	t.Helper()
	file := filepath.Join("/sys/block", filepath.Base(dev), "queue/scheduler")
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), sched) || !strings.Contains(string(data), "[") {
		return false
	}
	prev := strings.Trim(strings.Fields(string(data)[strings.Index(string(data), "["):])[0], "[]")
	if err := os.WriteFile(file, []byte(sched), 0); err != nil {
		t.Logf("set %s on %s: %v", sched, dev, err)
		return false
	}
	t.Cleanup(func() { _ = os.WriteFile(file, []byte(prev), 0) })
	return true
}

// TestDeviceCgroupRule: --device-cgroup-rule lets a container read a
// device node it made with mknod, which the default allowlist denies.
func TestDeviceCgroupRule(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	_, major, minor := testLoop(t, "berth-loop-data")
	read := fmt.Sprintf("mknod /tmp/disk b %d %d && head -c 15 /tmp/disk", major, minor)

	out, errOut, code := resDocker(t, d, "run", "--rm", "busybox", "sh", "-c", read)
	if code == 0 || !strings.Contains(errOut, "Operation not permitted") {
		t.Fatalf("without a rule: code %d out %q err %q, want the open denied", code, out, errOut)
	}
	for _, rule := range []string{fmt.Sprintf("b %d:%d r", major, minor), fmt.Sprintf("b %d:* rm", major)} {
		name := "rule-" + strings.NewReplacer(" ", "", ":", "-", "*", "any").Replace(rule)
		out, errOut, code := resDocker(t, d, "run", "--name", name, "--device-cgroup-rule", rule, "busybox", "sh", "-c", read)
		if code != 0 || out != "berth-loop-data" {
			t.Fatalf("rule %q: code %d out %q err %q", rule, code, out, errOut)
		}
		if got := resInspect(t, d, name).HostConfig.DeviceCgroupRules; len(got) != 1 || got[0] != rule {
			t.Errorf("inspect DeviceCgroupRules %q, want [%q]", got, rule)
		}
		resDocker(t, d, "rm", "-f", name)
	}
	// The berth CLI takes the same flag.
	rule := fmt.Sprintf("b %d:%d r", major, minor)
	if out, errOut, code := d.Run(t, "", d.Binary, "run", "--rm", "--device-cgroup-rule", rule, "busybox", "sh", "-c", read); code != 0 || out != "berth-loop-data" {
		t.Fatalf("berth run --device-cgroup-rule: code %d out %q err %q", code, out, errOut)
	}
	// A character-device rule is accepted and kept as given.
	if out := resRun(t, d, 0, "--device-cgroup-rule", "c 1:3 mr", "--device-cgroup-rule", "a *:* m", "busybox",
		"sh", "-c", "mknod /tmp/n c 1 3 && echo ok > /tmp/n && echo done"); out != "done\n" {
		t.Fatalf("char rule: %q", out)
	}
}

// TestBlkioWeightDevice: --blkio-weight-device reaches inspect, the
// runtime spec and, where the device's scheduler takes weights (BFQ), the
// container's cgroup. On a device under another scheduler the container
// still starts, with a warning (Docker fails to start it).
func TestBlkioWeightDevice(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	dev, major, minor := testLoop(t, "weights")
	if useScheduler(t, dev, "none") {
		_, errOut, code := resDocker(t, d, "run", "--rm", "--blkio-weight-device", dev+":300", "busybox", "true")
		if code != 0 || !strings.Contains(errOut, "WARNING") || !strings.Contains(errOut, "none I/O scheduler, which takes no per-device weight") {
			t.Fatalf("weight on a device without bfq: code %d err %q, want a warning", code, errOut)
		}
	}
	bfq := useScheduler(t, dev, "bfq")
	mustDocker(t, dockerOn(t, d), "create", "--name", "weighted", "--blkio-weight-device", dev+":300", "busybox", "sleep", "300")
	t.Cleanup(func() { resDocker(t, d, "rm", "-f", "weighted") })
	got := resInspect(t, d, "weighted").HostConfig.BlkioWeightDevice
	if len(got) != 1 || *got[0] != (blkiodev.WeightDevice{Path: dev, Weight: 300}) {
		t.Fatalf("inspect BlkioWeightDevice %+v", got)
	}
	if !bfq {
		t.Skipf("%s has no BFQ scheduler (kernel without bfq): per-device weights cannot be applied; enforcement not checked", dev)
	}
	mustDocker(t, dockerOn(t, d), "start", "weighted")
	c := resInspect(t, d, "weighted")
	spec := bundleSpec(t, d, c.ID)
	wd := spec.Linux.Resources.BlockIO.WeightDevice
	if len(wd) != 1 || wd[0].Major != int64(major) || wd[0].Minor != int64(minor) || *wd[0].Weight != 300 {
		t.Fatalf("spec weightDevice %+v", wd)
	}
	file, data := weightFile(t, c.State.Pid)
	if want := fmt.Sprintf("%d:%d 300", major, minor); !strings.Contains(data, want) {
		t.Fatalf("%s = %q, want a line %q", file, data, want)
	}
}

func bundleSpec(t *testing.T, d *daemon.Daemon, id string) specs.Spec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(d.ExecRoot, "containers", id, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// weightFile reads the per-device weight file of pid's cgroup: BFQ's or
// CFQ's on v1, io.bfq.weight or io.weight on v2.
func weightFile(t *testing.T, pid int) (string, string) {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	var candidates []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		switch {
		case len(parts) == 3 && strings.Contains(","+parts[1]+",", ",blkio,"):
			dir := filepath.Join("/sys/fs/cgroup/blkio", parts[2])
			candidates = append(candidates, filepath.Join(dir, "blkio.bfq.weight_device"), filepath.Join(dir, "blkio.weight_device"))
		case len(parts) == 3 && parts[0] == "0" && parts[1] == "" && unifiedAtRoot():
			dir := filepath.Join("/sys/fs/cgroup", parts[2])
			candidates = append(candidates, filepath.Join(dir, "io.bfq.weight"), filepath.Join(dir, "io.weight"))
		}
	}
	for _, f := range candidates {
		if data, err := os.ReadFile(f); err == nil {
			return f, string(data)
		}
	}
	t.Skipf("no per-device weight file among %q: enforcement not checked", candidates)
	return "", ""
}

func unifiedAtRoot() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// TestDeviceRuleBadInput: malformed rules, devices and weights get the
// docker CLI's and Docker daemon's errors, and nothing is created.
func TestDeviceRuleBadInput(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	cli := []struct {
		args []string
		msg  string
	}{
		{[]string{"--device-cgroup-rule", "c 1:3"}, `invalid argument "c 1:3" for "--device-cgroup-rule" flag: invalid device cgroup format 'c 1:3'`},
		{[]string{"--device-cgroup-rule", "x 1:3 r"}, "invalid device cgroup format 'x 1:3 r'"},
		{[]string{"--blkio-weight-device", "/dev/null"}, `invalid argument "/dev/null" for "--blkio-weight-device" flag: bad format: /dev/null`},
		{[]string{"--blkio-weight-device", "null:300"}, "bad format for device path: null:300"},
		{[]string{"--blkio-weight-device", "/dev/null:5"}, "invalid weight for device: /dev/null:5"},
	}
	for _, tt := range cli {
		_, errOut, code := resDocker(t, d, append(append([]string{"run", "--rm"}, tt.args...), "busybox", "true")...)
		if code != 125 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: code %d err %q, want 125 and %q", tt.args, code, errOut, tt.msg)
		}
	}
	api := []struct {
		res ctr.Resources
		msg string
	}{
		{ctr.Resources{DeviceCgroupRules: []string{"c 1:3 rwx"}}, "invalid device cgroup rule format: 'c 1:3 rwx'"},
		{ctr.Resources{BlkioWeightDevice: []*blkiodev.WeightDevice{{Path: "/nonexistent", Weight: 300}}}, "invalid block device /nonexistent"},
		{ctr.Resources{BlkioWeightDevice: []*blkiodev.WeightDevice{{Path: "/dev/null", Weight: 300}}}, "invalid block device /dev/null"},
		{ctr.Resources{BlkioWeightDevice: []*blkiodev.WeightDevice{{Path: "/dev/null", Weight: 5}}}, "Range of blkio weight is from 10 to 1000"},
	}
	c := d.Client(t)
	for _, tt := range api {
		_, err := c.ContainerCreate(context.Background(), client.ContainerCreateOptions{
			Config:     &ctr.Config{Image: "busybox", Cmd: []string{"true"}},
			HostConfig: &ctr.HostConfig{Resources: tt.res},
		})
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%+v: %v, want invalid argument %q", tt.res, err, tt.msg)
		}
	}
	if out, _, _ := resDocker(t, d, "ps", "-aq"); out != "" {
		t.Fatalf("containers created by bad input: %q", out)
	}
}
