package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"

	"github.com/berth-engine/berth/internal/server"
	"github.com/berth-engine/berth/internal/version"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

// Version answers GET /version.
func (d *Daemon) Version(context.Context) system.VersionResponse {
	kernel := kernelVersion()
	return system.VersionResponse{
		Platform: system.PlatformInfo{Name: "Berth Engine"},
		Version:  version.Version, APIVersion: server.APIVersion, MinAPIVersion: server.MinAPIVersion,
		Os: goruntime.GOOS, Arch: goruntime.GOARCH, GoVersion: goruntime.Version(), KernelVersion: kernel,
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: version.Version, Details: map[string]string{
				"ApiVersion": server.APIVersion, "MinAPIVersion": server.MinAPIVersion, "Os": goruntime.GOOS,
				"Arch": goruntime.GOARCH, "GoVersion": goruntime.Version(), "KernelVersion": kernel,
				"GitCommit": version.GitCommit, "BuildTime": version.BuildTime, "Experimental": "false",
			}},
			{Name: d.runc.name, Version: d.runc.version, Details: map[string]string{"GitCommit": d.runc.commit}},
		},
		GitCommit: version.GitCommit, BuildTime: version.BuildTime,
	}
}

// runtimeVersion is what `<runtime> --version` reports (runc and crun
// print "<name> version X" and "commit: Y").
type runtimeVersion struct{ name, version, commit string }

func probeRuntime(path string) runtimeVersion {
	rv := runtimeVersion{name: filepath.Base(path)}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return rv
	}
	for _, line := range strings.Split(string(out), "\n") {
		if name, v, ok := strings.Cut(line, " version "); ok && rv.version == "" && !strings.Contains(name, " ") {
			rv.name, rv.version = name, strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "commit: "); ok {
			rv.commit = strings.TrimSpace(v)
		}
	}
	return rv
}

// Info answers GET /info.
func (d *Daemon) Info(ctx context.Context) (system.Info, error) {
	var running, paused, stopped int
	for _, c := range d.containers.All() {
		switch st := c.Snapshot(); {
		case st.Running():
			running++
		default:
			stopped++
		}
	}
	imgs, err := d.images.List(ctx)
	if err != nil {
		return system.Info{}, err
	}
	host, _ := os.Hostname()
	var si unix.Sysinfo_t
	_ = unix.Sysinfo(&si)
	return system.Info{
		ID: d.id(), Containers: running + paused + stopped, ContainersRunning: running,
		ContainersPaused: paused, ContainersStopped: stopped, Images: len(imgs),
		Driver: d.driver, DockerRootDir: d.cfg.DataRoot, Name: host,
		KernelVersion: kernelVersion(), OperatingSystem: osName(), OSType: "linux",
		Architecture: machine(), NCPU: goruntime.NumCPU(), MemTotal: int64(si.Totalram) * int64(si.Unit),
		ServerVersion: version.Version, LoggingDriver: "json-file", CgroupDriver: "cgroupfs",
		CgroupVersion: cgroupVersion(), DefaultRuntime: d.cfg.DefaultRuntime,
		SecurityOptions:    []string{"name=seccomp,profile=builtin"},
		Swarm:              swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		RuncCommit:         system.Commit{ID: d.runc.commit},
		Runtimes:           runtimeInfo(d.runtimes),
		IndexServerAddress: "https://index.docker.io/v1/",
		Plugins: system.PluginsInfo{Volume: []string{"local"}, Network: []string{"bridge", "host", "none"},
			Log: []string{"json-file", "none"}},
		MemoryLimit: true, SwapLimit: true, CPUCfsPeriod: true, CPUCfsQuota: true, CPUShares: true,
		CPUSet: true, PidsLimit: true, IPv4Forwarding: true, OomKillDisable: cgroupVersion() == "1",
	}, nil
}

func (d *Daemon) id() string {
	return "berth-" + strings.ReplaceAll(d.cfg.DataRoot, "/", "-")
}

func kernelVersion() string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:])
}

func machine() string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	return unix.ByteSliceToString(u.Machine[:])
}

func osName() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

// cgroupVersion is "2" on a unified hierarchy, "1" on v1 and hybrid hosts.
func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

// knownRuntimes are the OCI runtimes containers may name (`run --runtime`):
// the default, and runc and crun where they are installed.
func knownRuntimes(self, def, defPath string) map[string]string {
	rts := map[string]string{def: defPath}
	for _, name := range []string{"runc", "crun"} {
		if _, ok := rts[name]; ok {
			continue
		}
		if p, err := lookRuntime(self, name); err == nil {
			rts[name] = p
		}
	}
	return rts
}

func runtimeInfo(rts map[string]string) map[string]system.RuntimeWithStatus {
	out := map[string]system.RuntimeWithStatus{}
	for name, path := range rts {
		out[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: path}}
	}
	return out
}
