package shim

import (
	"encoding/json"
	"log/slog"
	"os"

	"github.com/berth-engine/berth/internal/cgroup"
)

// oomKilled reports whether the kernel's OOM killer killed a process of
// the container. It reads the cgroup's counter, so it must run before
// runc delete removes the cgroup.
func (s *shim) oomKilled() bool {
	data, err := os.ReadFile(s.bundlePath("config.json"))
	if err != nil {
		return false
	}
	var spec struct {
		Linux struct {
			CgroupsPath string `json:"cgroupsPath"`
		} `json:"linux"`
	}
	if json.Unmarshal(data, &spec) != nil || spec.Linux.CgroupsPath == "" {
		return false
	}
	n, err := cgroup.Load(spec.Linux.CgroupsPath).OOMKills()
	if err != nil && !cgroup.IsNotExist(err) {
		slog.Warn("read oom counter", "err", err)
	}
	return n > 0
}
