package container

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/cgroup"
	"github.com/berth-engine/berth/internal/oci"
	"github.com/berth-engine/berth/internal/runtime"
	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	ctr "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update changes a container's resources and restart policy (docker
// update). A running container's cgroup is changed through the runtime
// first; the record is saved only when that succeeded, so a refused update
// (invalid value, memory below the current usage) changes nothing.
func (s *Service) Update(ctx context.Context, ref string, upd ctr.UpdateConfig) ([]string, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fail := func(err error) ([]string, error) {
		return nil, fmt.Errorf("Cannot update container %s: %w", c.ID, err)
	}
	if err := checkRestartUpdate(c, upd.RestartPolicy); err != nil {
		return fail(err)
	}
	merged, err := mergeResources(c.HostConfig.Resources, upd.Resources)
	if err != nil {
		return fail(err)
	}
	warn, err := checkResources(&merged, cgroup.HostFeatures(), true)
	if err != nil {
		return fail(err)
	}
	st := c.snapshot()
	if st.Running() {
		if err := s.applyResources(ctx, c, merged, upd.Resources); err != nil {
			return fail(err)
		}
	}
	hc := *c.HostConfig
	hc.Resources = merged
	if upd.RestartPolicy.Name != "" {
		hc.RestartPolicy = upd.RestartPolicy
	}
	old := c.hostConfig()
	c.setHostConfig(&hc)
	if err := s.store.save(c); err != nil {
		c.setHostConfig(old)
		return nil, err
	}
	return warn, nil
}

func checkRestartUpdate(c *Container, p ctr.RestartPolicy) error {
	switch p.Name {
	case "":
		return nil
	case ctr.RestartPolicyDisabled, ctr.RestartPolicyAlways, ctr.RestartPolicyUnlessStopped, ctr.RestartPolicyOnFailure:
	default:
		return invalid("invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", p.Name)
	}
	switch {
	case p.MaximumRetryCount < 0:
		return invalid("invalid restart policy: maximum retry count cannot be negative")
	case p.MaximumRetryCount > 0 && p.Name != ctr.RestartPolicyOnFailure:
		return invalid("invalid restart policy: maximum retry count can only be used with 'on-failure'")
	case c.HostConfig.AutoRemove && p.Name != ctr.RestartPolicyDisabled:
		return invalid("Restart policy cannot be updated because AutoRemove is enabled for the container")
	}
	return nil
}

// mergeResources applies the set (non-zero) fields of upd over cur, with
// Docker's update rules.
func mergeResources(cur, upd ctr.Resources) (ctr.Resources, error) {
	r := cur
	switch {
	case upd.NanoCPUs > 0 && cur.CPUQuota > 0 && upd.CPUQuota == 0:
		return r, invalid("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set")
	case upd.NanoCPUs > 0 && cur.CPUPeriod > 0 && upd.CPUPeriod == 0:
		return r, invalid("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set")
	case (upd.CPUQuota > 0 || upd.CPUPeriod > 0) && cur.NanoCPUs > 0 && upd.NanoCPUs == 0:
		return r, invalid("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
	case upd.Memory > 0 && cur.MemorySwap > 0 && upd.Memory > cur.MemorySwap && upd.MemorySwap == 0:
		return r, invalid("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
	}
	setIf(&r.BlkioWeight, upd.BlkioWeight)
	setIf(&r.CPUShares, upd.CPUShares)
	setIf(&r.NanoCPUs, upd.NanoCPUs)
	setIf(&r.CPUPeriod, upd.CPUPeriod)
	setIf(&r.CPUQuota, upd.CPUQuota)
	setIf(&r.CpusetCpus, upd.CpusetCpus)
	setIf(&r.CpusetMems, upd.CpusetMems)
	setIf(&r.Memory, upd.Memory)
	setIf(&r.MemorySwap, upd.MemorySwap)
	setIf(&r.MemoryReservation, upd.MemoryReservation)
	if upd.PidsLimit != nil {
		r.PidsLimit = upd.PidsLimit
		if *upd.PidsLimit <= 0 {
			r.PidsLimit = nil
		}
	}
	return r, nil
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// applyResources runs `runc update` with the merged limits. A memory limit
// below what the container holds is refused up front (the kernel would
// fail or reclaim hard); if the runtime fails part-way the previous limits
// are put back.
func (s *Service) applyResources(ctx context.Context, c *Container, merged, upd ctr.Resources) error {
	if upd.Memory > 0 {
		if used, err := cgroup.Load(s.cgroupPath(c)).WorkingSet(); err == nil && uint64(upd.Memory) < used {
			return invalid("memory limit %s is below the container's current memory usage %s",
				units.BytesSize(float64(upd.Memory)), units.BytesSize(float64(used)))
		}
	}
	res, err := oci.Resources(merged)
	if err != nil {
		return err
	}
	if upd.PidsLimit != nil && *upd.PidsLimit <= 0 {
		unlimited := int64(-1)
		res.Pids = &specs.LinuxPids{Limit: &unlimited} // back to "max"
	}
	if err := s.runtimeUpdate(ctx, c, res); err != nil {
		if prev, perr := oci.Resources(c.HostConfig.Resources); perr == nil {
			if rerr := s.runtimeUpdate(context.WithoutCancel(ctx), c, prev); rerr != nil {
				s.log.Warn("restore resources after failed update", "container", c.ID, "err", rerr)
			}
		}
		return err
	}
	return nil
}

func (s *Service) runtimeUpdate(ctx context.Context, c *Container, res any) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	rt := s.runtimeFor(c)
	cmd := exec.CommandContext(ctx, rt.path, "--root", rt.root, "update", "-r", "-", c.ID)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := runtime.CombinedOutputCmd(cmd, rt.hideUnified); err != nil {
		return fmt.Errorf("%s update: %s: %w", rt.name, strings.TrimSpace(string(out)), errdefs.ErrUnknown)
	}
	return nil
}

// cgroupPath is the container's cgroupfs path, as given to the runtime.
func (s *Service) cgroupPath(c *Container) string {
	return filepath.Join("/", s.cfg.CgroupParent, c.ID)
}
