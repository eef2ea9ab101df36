package container

import (
	"github.com/berth-engine/berth/internal/oci"
)

// runtimeOptions adds the container's resources and security settings to
// the spec options: cgroup limits, ulimits, sysctls, tmpfs mounts, devices,
// extra groups, --init, seccomp and no-new-privileges.
func (s *Service) runtimeOptions(c *Container, rootfs string, o *oci.Options) error {
	hc := c.HostConfig
	res, err := oci.Resources(hc.Resources)
	if err != nil {
		return err
	}
	o.Resources = res
	for _, w := range unweightable(res) {
		s.log.Warn(w, "container", ShortID(c.ID))
	}
	rls, err := oci.Rlimits(hc.Ulimits)
	if err != nil {
		return err
	}
	for _, rl := range rls {
		o.Rlimits = append(o.Rlimits, rl.POSIXRlimit)
	}
	so, err := parseSecurityOpt(hc.SecurityOpt)
	if err != nil {
		return err
	}
	o.NoNewPrivileges, o.SeccompProfile = so.noNewPrivileges, so.seccomp
	o.ImageArch = c.ImageArch
	o.OOMScoreAdj = hc.OomScoreAdj
	o.Sysctls = hc.Sysctls
	o.Tmpfs = hc.Tmpfs
	for _, d := range hc.Devices {
		devs, rules, err := oci.HostDevices(d)
		if err != nil {
			return err
		}
		o.Devices = append(o.Devices, devs...)
		o.DeviceRules = append(o.DeviceRules, rules...)
	}
	rules, err := oci.DeviceCgroupRules(hc.DeviceCgroupRules)
	if err != nil {
		return err
	}
	o.DeviceRules = append(o.DeviceRules, rules...)
	gids, err := oci.ResolveGroups(rootfs, hc.GroupAdd)
	if err != nil {
		return err
	}
	o.User.AdditionalGids = append(o.User.AdditionalGids, gids...)
	if hc.Init != nil && *hc.Init {
		o.InitPath = s.cfg.InitBinary
	}
	return nil
}
