package shim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/cgroup"
)

// bfqWeights works around crun 1.8 on a cgroup v1 host without CFQ: crun
// writes per-device weights (--blkio-weight-device) only to
// blkio.weight_device, which kernels since 5.0 lack (BFQ's file is
// blkio.bfq.weight_device), and the container fails to start ("open
// blkio.weight_device: no such file or directory"). runc, and newer crun,
// fall back to the BFQ file. When that is the case, bfqWeights writes a copy of
// the bundle's config.json without the weights, for `crun create --config`,
// and returns the cgroup's BFQ weight file and its lines, which the shim
// writes once crun created the cgroup. config.json keeps the weights.
func (s *shim) bfqWeights() (config, file string, lines []string, err error) {
	if !s.createStart || cgroup.Unified() {
		return "", "", nil, nil
	}
	data, err := os.ReadFile(s.bundlePath("config.json"))
	if err != nil {
		return "", "", nil, err
	}
	if !bytes.Contains(data, []byte(`"weightDevice"`)) {
		return "", "", nil, nil // the common case: no per-device weights
	}
	if m, _ := filepath.Glob(filepath.Join(cgroup.Root, "blkio", "*", "blkio.weight_device")); len(m) > 0 {
		return "", "", nil, nil // CFQ: crun's own write works
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return "", "", nil, err
	}
	linux, _ := spec["linux"].(map[string]any)
	res, _ := linux["resources"].(map[string]any)
	bio, _ := res["blockIO"].(map[string]any)
	wds, _ := bio["weightDevice"].([]any)
	cgPath, _ := linux["cgroupsPath"].(string)
	if len(wds) == 0 || cgPath == "" || strings.Contains(cgPath, ":") {
		return "", "", nil, nil // nothing to move, or a systemd cgroup
	}
	for _, x := range wds {
		wd, _ := x.(map[string]any)
		w, ok1 := wd["weight"].(float64)
		major, ok2 := wd["major"].(float64)
		minor, ok3 := wd["minor"].(float64)
		if ok1 && ok2 && ok3 {
			lines = append(lines, fmt.Sprintf("%d:%d %d", int64(major), int64(minor), int64(w)))
		}
	}
	delete(bio, "weightDevice")
	out, err := json.Marshal(spec)
	if err != nil {
		return "", "", nil, err
	}
	config = s.bundlePath("config.crun.json")
	if err := os.WriteFile(config, out, 0o600); err != nil {
		return "", "", nil, err
	}
	return config, filepath.Join(cgroup.Root, "blkio", cgPath, "blkio.bfq.weight_device"), lines, nil
}

// writeWeights writes each line on its own: the kernel takes one device a
// write.
func writeWeights(file string, lines []string) error {
	for _, l := range lines {
		if err := os.WriteFile(file, []byte(l), 0); err != nil {
			return fmt.Errorf("blkio weight device %q: %w", l, err)
		}
	}
	return nil
}
