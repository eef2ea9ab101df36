package oci

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// mounts returns Docker's default mounts followed by the network files,
// adjusted for --read-only and --privileged the way Docker does.
func mounts(opts Options) []specs.Mount {
	ms := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", shmSize(opts)}},
	}
	ms = append(ms, networkMounts(opts)...)
	if opts.Readonly {
		readonlyMounts(ms)
	}
	ms = append(tmpfsMounts(ms, opts.Tmpfs), initMount(opts)...)
	if opts.Privileged {
		for i := range ms {
			if ms[i].Destination == "/sys" || ms[i].Type == "cgroup" {
				ms[i].Options = slices.DeleteFunc(ms[i].Options, func(o string) bool { return o == "ro" })
			}
		}
	}
	return ms
}

// networkMounts bind-mounts resolv.conf, hostname and hosts (Docker's
// order); they are writable unless the rootfs is read-only.
func networkMounts(opts Options) []specs.Mount {
	files := []struct{ src, dst string }{
		{opts.ResolvConfPath, "/etc/resolv.conf"},
		{opts.HostnamePath, "/etc/hostname"},
		{opts.HostsPath, "/etc/hosts"},
	}
	var ms []specs.Mount
	for _, f := range files {
		if f.src == "" {
			continue
		}
		o := []string{"rbind"}
		if opts.Readonly {
			o = append(o, "ro")
		}
		ms = append(ms, specs.Mount{Destination: f.dst, Type: "bind", Source: f.src, Options: append(o, "rprivate")})
	}
	return ms
}

// readonlyMounts adds "ro" to every mount except the kernel filesystems
// Docker leaves writable under --read-only.
func readonlyMounts(ms []specs.Mount) {
	for i, m := range ms {
		switch m.Destination {
		case "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue":
			continue
		}
		if !slices.Contains(m.Options, "ro") {
			ms[i].Options = append(ms[i].Options, "ro")
		}
	}
}
