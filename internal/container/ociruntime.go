package container

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"

	"github.com/berth-engine/berth/internal/runtime"
)

// ociRuntime is the OCI runtime a container runs with: its binary, its
// state directory and how it must be started (runtime.StartCmd).
type ociRuntime struct {
	name, path, root string
	hideUnified      bool
	sealed           *os.File // a sealed copy of path for the shims (runtime.SealedCopy), or nil
	link             string   // the link the shims run sealed through (runtime.RuntimeLink)
	takesSeccompBPF  bool     // takes a compiled filter (crun: seccompcache.go)
	// createsThenStarts: the shim creates, then starts, so it can hold a
	// created container (runtime.StartOptions.HoldStart).
	createsThenStarts bool
}

// runtimes resolves cfg's runtimes once: each gets its own state directory
// named after it beside the default one's (<exec-root>/<name>), whichever
// is the default, so that one runtime's cleanup never meets another's
// state and a container keeps its runtime's directory when the default
// changes.
func runtimes(cfg Config) map[string]ociRuntime {
	out := map[string]ociRuntime{}
	add := func(name, path string) {
		root := filepath.Join(filepath.Dir(cfg.RuntimeRoot), name)
		if name == "" {
			root = cfg.RuntimeRoot
		}
		rt := ociRuntime{name: name, path: path, root: root, hideUnified: runtime.HidesUnified(path)}
		rt.takesSeccompBPF = runtime.WantsSealedCopy(path) // crun
		rt.createsThenStarts = rt.takesSeccompBPF
		if runtime.WantsSealedCopy(path) {
			f, err := runtime.SealedCopy(path)
			if err != nil && cfg.Log != nil {
				cfg.Log.Warn("runtime runs from its own binary", "runtime", name, "err", err)
			}
			rt.sealed = f
			if link := filepath.Join(cfg.ExecRoot, "runtimes", name); f != nil && cfg.ExecRoot != "" && runtime.RuntimeLink(link) == nil {
				rt.link = link
			}
		}
		out[name] = rt
	}
	for name, path := range cfg.Runtimes {
		add(name, path)
	}
	if _, ok := out[cfg.DefaultRuntime]; !ok {
		add(cfg.DefaultRuntime, cfg.Runtime)
	}
	return out
}

// runtimeFor is c's runtime: the one named in its HostConfig, else the
// default (records made before runtimes were named).
func (s *Service) runtimeFor(c *Container) ociRuntime {
	if rt, ok := s.runtimes[c.hostConfig().Runtime]; ok {
		return rt
	}
	return s.runtimes[s.cfg.DefaultRuntime]
}

// checkRuntime names the default runtime in hc when it names none, as
// Docker records it, and refuses a runtime the daemon does not have.
func (s *Service) checkRuntime(hc *ctr.HostConfig) error {
	if hc.Runtime == "" {
		hc.Runtime = s.cfg.DefaultRuntime
	}
	if _, ok := s.runtimes[hc.Runtime]; !ok {
		return fmt.Errorf("unknown or invalid runtime name: %s: %w", hc.Runtime, errdefs.ErrInvalidArgument)
	}
	return nil
}
