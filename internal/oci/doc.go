// Package oci generates the OCI runtime spec (config.json) for a container
// from already-resolved options, reproducing the defaults Docker's daemon
// applies: namespaces, the default capability set, Docker's seccomp profile,
// masked and read-only /proc paths, the /dev, /dev/pts, /dev/shm, /dev/mqueue,
// /sys and cgroup mounts, the device cgroup allowlist and the hosts,
// resolv.conf and hostname bind mounts.
//
// Generate is pure: it reads nothing from the host except, for privileged
// containers, the host's device nodes. ResolveUser reads the container's
// /etc/passwd and /etc/group without following symlinks out of the rootfs.
//
// It imports no other Berth package; the container and runtime services
// import it.
package oci
