// Package cgroup reads a container's control group directly from the
// cgroup filesystem, on cgroup v1 (one hierarchy per controller under
// /sys/fs/cgroup/<controller>) and on cgroup v2 (the unified hierarchy at
// /sys/fs/cgroup): usage statistics in the Docker API's shapes, the OOM
// counters and notifications (OOMNotifier: an eventfd on v1, inotify on
// v2, so a daemon learns of OOM kills and --oom-kill-disable stalls while
// the container runs), and the host facts resource validation needs
// (online CPUs, machine memory, which optional controls the kernel offers,
// which I/O scheduler a block device uses).
//
// Limits are not written here: the OCI runtime applies them (runc run and
// runc update) from the runtime spec. Reading needs no process spawn, so
// stats for many containers are one cheap pass over small files.
//
// It imports no other Berth package; the container service and the shim
// import it.
package cgroup
