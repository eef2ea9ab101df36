// Package cgroup reads a container's control group directly from the
// cgroup filesystem, on cgroup v1 (one hierarchy per controller under
// /sys/fs/cgroup/<controller>) and on cgroup v2 (the unified hierarchy at
// /sys/fs/cgroup): usage statistics in the Docker API's shapes, the OOM-kill
// counter, and the host facts resource validation needs (online CPUs,
// machine memory, which optional controls the kernel offers).
//
// Limits are not written here: the OCI runtime applies them (runc run and
// runc update) from the runtime spec. Reading needs no process spawn, so
// stats for many containers are one cheap pass over small files.
//
// It imports no other Berth package; the container service and the shim
// import it.
package cgroup
