package container

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

// resourceOptions are the resource and security flags of run and create
// (-m/--memory stays in createOptions); docker's names and help texts.
type resourceOptions struct {
	memorySwap, memoryReservation, shmSize, cpus string
	swappiness                                   int64
	oomKillDisable                               bool
	oomScoreAdj                                  int
	cpuShares, cpuPeriod, cpuQuota, pidsLimit    int64
	cpusetCpus, cpusetMems                       string
	blkioWeight                                  uint16
	readBps, writeBps, readIOps, writeIOps       []string
	ulimits, securityOpt, tmpfs, groupAdd        []string
	devices, sysctls                             []string
	weightDevices, deviceCgroupRules             []string

	fs *pflag.FlagSet
}

func addResourceFlags(fs *pflag.FlagSet, o *resourceOptions) {
	o.fs = fs
	fs.StringVar(&o.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.StringVar(&o.memoryReservation, "memory-reservation", "", "Memory soft limit")
	fs.Int64Var(&o.swappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	fs.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	fs.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	fs.StringVar(&o.cpus, "cpus", "", "Number of CPUs")
	fs.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	command.StringListVar(fs, &o.readBps, "device-read-bps", "Limit read rate (bytes per second) from a device")
	command.StringListVar(fs, &o.writeBps, "device-write-bps", "Limit write rate (bytes per second) to a device")
	command.StringListVar(fs, &o.readIOps, "device-read-iops", "Limit read rate (IO per second) from a device")
	command.StringListVar(fs, &o.writeIOps, "device-write-iops", "Limit write rate (IO per second) to a device")
	fs.StringVar(&o.shmSize, "shm-size", "", "Size of /dev/shm")
	command.StringListVar(fs, &o.ulimits, "ulimit", "Ulimit options")
	command.StringListVar(fs, &o.securityOpt, "security-opt", "Security Options")
	command.StringListVar(fs, &o.tmpfs, "tmpfs", "Mount a tmpfs directory")
	command.StringListVar(fs, &o.groupAdd, "group-add", "Add additional groups to join")
	command.StringListVar(fs, &o.devices, "device", "Add a host device to the container")
	command.StringListVar(fs, &o.weightDevices, "blkio-weight-device", "Block IO weight (relative device weight)")
	command.StringListVar(fs, &o.deviceCgroupRules, "device-cgroup-rule", "Add a rule to the cgroup allowed devices list")
	command.StringListVar(fs, &o.sysctls, "sysctl", "Sysctl options")
}

// apply sets the flags' values on hc (Resources included).
func (o *resourceOptions) apply(hc *container.HostConfig) error {
	if err := o.applyResources(&hc.Resources, false); err != nil {
		return err
	}
	var err error
	if o.shmSize != "" {
		if hc.ShmSize, err = units.RAMInBytes(o.shmSize); err != nil {
			return flagError(o.shmSize, "shm-size", err)
		}
	}
	hc.OomScoreAdj = o.oomScoreAdj
	if o.fs != nil && o.fs.Changed("oom-kill-disable") {
		hc.OomKillDisable = &o.oomKillDisable
	}
	for _, u := range o.ulimits {
		ul, err := units.ParseUlimit(u)
		if err != nil {
			return flagError(u, "ulimit", err)
		}
		hc.Ulimits = append(hc.Ulimits, ul)
	}
	if hc.SecurityOpt, err = parseSecurityOpts(o.securityOpt); err != nil {
		return err
	}
	hc.Tmpfs = parseTmpfs(o.tmpfs)
	hc.GroupAdd = o.groupAdd
	for _, d := range o.devices {
		m, err := parseDevice(d)
		if err != nil {
			return err
		}
		hc.Devices = append(hc.Devices, m)
	}
	if hc.Sysctls, err = parseSysctls(o.sysctls); err != nil {
		return err
	}
	return o.applyDeviceRules(hc)
}

// applyResources sets the cgroup limits shared by run/create and update.
func (o *resourceOptions) applyResources(r *container.Resources, update bool) error {
	var err error
	if r.MemorySwap, err = parseMemorySwap(o.memorySwap); err != nil {
		return err
	}
	if o.memoryReservation != "" {
		if r.MemoryReservation, err = units.RAMInBytes(o.memoryReservation); err != nil {
			return flagError(o.memoryReservation, "memory-reservation", err)
		}
	}
	if !update {
		if o.swappiness != -1 && (o.swappiness < 0 || o.swappiness > 100) {
			return command.InvalidArgument("invalid value: %d. Valid memory swappiness range is 0-100", o.swappiness)
		}
		if o.swappiness != -1 {
			r.MemorySwappiness = &o.swappiness
		}
	}
	if r.NanoCPUs, err = parseCPUs(o.cpus); err != nil {
		return err
	}
	r.CPUShares, r.CPUPeriod, r.CPUQuota = o.cpuShares, o.cpuPeriod, o.cpuQuota
	r.CpusetCpus, r.CpusetMems, r.BlkioWeight = o.cpusetCpus, o.cpusetMems, o.blkioWeight
	if o.fs != nil && o.fs.Changed("pids-limit") {
		r.PidsLimit = &o.pidsLimit
	}
	if update {
		return nil
	}
	lists := []struct {
		in   []string
		out  *[]*blkiodev.ThrottleDevice
		name string
		iops bool
	}{
		{o.readBps, &r.BlkioDeviceReadBps, "device-read-bps", false},
		{o.writeBps, &r.BlkioDeviceWriteBps, "device-write-bps", false},
		{o.readIOps, &r.BlkioDeviceReadIOps, "device-read-iops", true},
		{o.writeIOps, &r.BlkioDeviceWriteIOps, "device-write-iops", true},
	}
	for _, l := range lists {
		for _, v := range l.in {
			d, err := parseThrottleDevice(v, l.iops)
			if err != nil {
				return flagError(v, l.name, err)
			}
			*l.out = append(*l.out, d)
		}
	}
	return nil
}

func flagError(val, flag string, err error) error {
	return command.InvalidArgument("invalid argument %q for \"--%s\" flag: %v", val, flag, err)
}

func parseMemorySwap(v string) (int64, error) {
	switch v {
	case "":
		return 0, nil
	case "-1":
		return -1, nil
	}
	n, err := units.RAMInBytes(v)
	if err != nil {
		return 0, flagError(v, "memory-swap", err)
	}
	return n, nil
}

// parseCPUs turns --cpus (a decimal number of CPUs) into nano CPUs.
func parseCPUs(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return 0, flagError(v, "cpus", fmt.Errorf("failed to parse %v as a rational number", v))
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, flagError(v, "cpus", fmt.Errorf("value is too precise"))
	}
	return nano.Num().Int64(), nil
}

// parseThrottleDevice parses "<device-path>:<rate>", the rate in bytes
// (with a unit) or, for the iops flags, a plain number.
func parseThrottleDevice(v string, iops bool) (*blkiodev.ThrottleDevice, error) {
	path, rate, ok := strings.Cut(v, ":")
	if !ok || !strings.HasPrefix(path, "/dev/") {
		return nil, fmt.Errorf("bad format: %s", v)
	}
	var n uint64
	if iops {
		var err error
		if n, err = strconv.ParseUint(rate, 10, 64); err != nil {
			return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", v)
		}
	} else {
		b, err := units.RAMInBytes(rate)
		if err != nil || b < 0 {
			return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", v)
		}
		n = uint64(b)
	}
	return &blkiodev.ThrottleDevice{Path: path, Rate: n}, nil
}

// parseSecurityOpts validates --security-opt and, as the docker CLI does,
// replaces seccomp=<file> by the file's compacted JSON.
func parseSecurityOpts(in []string) ([]string, error) {
	out := append([]string(nil), in...)
	for i, opt := range out {
		k, v, ok := strings.Cut(opt, "=")
		if !ok && k != "no-new-privileges" {
			k, v, ok = strings.Cut(opt, ":")
		}
		if (!ok || v == "") && k != "no-new-privileges" {
			return nil, command.InvalidArgument("invalid --security-opt: %q", opt)
		}
		if k != "seccomp" || v == "builtin" || v == "unconfined" {
			continue
		}
		data, err := os.ReadFile(v)
		if err != nil {
			return nil, command.InvalidArgument("opening seccomp profile (%s) failed: %v", v, err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, data); err != nil {
			return nil, command.InvalidArgument("compacting json for seccomp profile (%s) failed: %v", v, err)
		}
		out[i] = "seccomp=" + b.String()
	}
	return out, nil
}

// parseTmpfs turns "/path[:options]" into HostConfig.Tmpfs.
func parseTmpfs(in []string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	m := make(map[string]string, len(in))
	for _, t := range in {
		dst, opts, _ := strings.Cut(t, ":")
		m[dst] = opts
	}
	return m
}

// parseDevice parses "host[:container][:permissions]".
func parseDevice(v string) (container.DeviceMapping, error) {
	parts := strings.Split(v, ":")
	m := container.DeviceMapping{PathOnHost: parts[0], CgroupPermissions: "rwm"}
	switch len(parts) {
	case 3:
		m.PathInContainer, m.CgroupPermissions = parts[1], parts[2]
	case 2:
		if validDeviceMode(parts[1]) {
			m.CgroupPermissions = parts[1]
		} else {
			m.PathInContainer = parts[1]
		}
	case 1:
	default:
		return m, command.InvalidArgument("invalid device specification: %s", v)
	}
	if m.PathInContainer == "" {
		m.PathInContainer = m.PathOnHost
	}
	if !validDeviceMode(m.CgroupPermissions) {
		return m, command.InvalidArgument("invalid device mode: %s", m.CgroupPermissions)
	}
	if !strings.HasPrefix(m.PathInContainer, "/") {
		return m, command.InvalidArgument("bad format for path: %s", m.PathInContainer)
	}
	return m, nil
}

func validDeviceMode(mode string) bool {
	return mode != "" && len(mode) <= 3 && strings.Trim(mode, "rwm") == ""
}

func parseSysctls(in []string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(in))
	for _, s := range in {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, command.InvalidArgument("invalid argument %q for \"--sysctl\" flag: sysctl must be in the format KEY=VALUE", s)
		}
		m[k] = v
	}
	return m, nil
}
