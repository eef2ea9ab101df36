package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
)

// flagKeys maps daemon.json keys to the flag names that override them.
var flagKeys = map[string]string{
	"data-root": "data-root", "exec-root": "exec-root", "hosts": "host", "pidfile": "pidfile",
	"log-level": "log-level", "default-runtime": "default-runtime", "bridge": "bridge",
	"fixed-cidr": "fixed-cidr", "cgroup-parent": "cgroup-parent", "storage-driver": "storage-driver",
	"insecure-registries": "insecure-registry", "registry-certs-dir": "registry-certs-dir",
	"ipv6": "ipv6", "fixed-cidr-v6": "fixed-cidr-v6", "cgroup-favordynmods": "cgroup-favordynmods",
}

// LoadConfigFile merges the JSON file at path into cfg; keys whose flag
// the user set explicitly keep the flag's value (and, like dockerd, a key
// given both ways is an error). A missing file is fine unless required.
func LoadConfigFile(path string, cfg *Config, setFlags map[string]bool, required bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unable to configure the Berth daemon with file %s: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("unable to configure the Berth daemon with file %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	for k := range raw {
		flag, ok := flagKeys[k]
		if !ok {
			return fmt.Errorf("unable to configure the Berth daemon with file %s: unknown key %q: %w", path, k, errdefs.ErrInvalidArgument)
		}
		if setFlags[flag] {
			return fmt.Errorf("unable to configure the Berth daemon with file %s: the following directives are specified both as a flag and in the configuration file: %s: %w", path, k, errdefs.ErrInvalidArgument)
		}
	}
	var file Config
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("unable to configure the Berth daemon with file %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	merge(cfg, &file)
	return nil
}

func merge(dst, src *Config) {
	set := func(d *string, s string) {
		if s != "" {
			*d = s
		}
	}
	set(&dst.DataRoot, src.DataRoot)
	set(&dst.ExecRoot, src.ExecRoot)
	set(&dst.Pidfile, src.Pidfile)
	set(&dst.LogLevel, src.LogLevel)
	set(&dst.DefaultRuntime, src.DefaultRuntime)
	set(&dst.Bridge, src.Bridge)
	set(&dst.FixedCIDR, src.FixedCIDR)
	set(&dst.FixedCIDRv6, src.FixedCIDRv6)
	dst.IPv6 = dst.IPv6 || src.IPv6
	set(&dst.CgroupParent, src.CgroupParent)
	set(&dst.StorageDriver, src.StorageDriver)
	if len(src.Hosts) > 0 {
		dst.Hosts = src.Hosts
	}
	if len(src.InsecureRegistries) > 0 {
		dst.InsecureRegistries = src.InsecureRegistries
	}
	if src.CgroupFavorDynMods != nil {
		dst.CgroupFavorDynMods = src.CgroupFavorDynMods
	}
}

func (c *Config) applyDefaults() {
	def := func(d *string, v string) {
		if *d == "" {
			*d = v
		}
	}
	def(&c.DataRoot, DefaultDataRoot)
	def(&c.ExecRoot, DefaultExecRoot)
	def(&c.DefaultRuntime, preferredRuntime())
	def(&c.Bridge, DefaultBridge)
	def(&c.CgroupParent, "berth")
	def(&c.LogLevel, "info")
	def(&c.RegistryCertsDir, DefaultRegistryCertsDir)
	if len(c.Hosts) == 0 {
		c.Hosts = []string{DefaultHost}
	}
	if c.Pidfile == "" {
		c.Pidfile = filepath.Join(c.ExecRoot, "berth.pid")
	}
}

// preferredRuntime is the default OCI runtime: crun where it is installed
// (Berth's own build of it, or the system's), as Podman chooses, else runc.
// crun starts a container in a third of runc's time (no Go runtime to
// start, no re-exec of a 9 MB binary); docs/architecture.md has the figures.
func preferredRuntime() string {
	self, _ := os.Executable()
	if _, err := lookRuntime(self, "crun"); err == nil {
		return "crun"
	}
	return "runc"
}
