package compose

import (
	"fmt"
	"path"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
)

// fileMounts bind-mounts, read-only, the service's secrets (at
// /run/secrets/<name>) and configs (at /<name>) that come from files.
// Secrets and configs from the environment or inline content need the
// engine to hold them and are not supported yet.
func fileMounts(p *types.Project, s types.ServiceConfig) ([]mount.Mount, error) {
	var out []mount.Mount
	for _, ref := range s.Secrets {
		sc, ok := p.Secrets[ref.Source]
		if !ok || sc.File == "" {
			return nil, fmt.Errorf("secret %q: only secrets from a file are supported: %w", ref.Source, errdefs.ErrNotImplemented)
		}
		out = append(out, roBind(sc.File, fileTarget("/run/secrets", ref.Source, ref.Target)))
	}
	for _, ref := range s.Configs {
		cc, ok := p.Configs[ref.Source]
		if !ok || cc.File == "" {
			return nil, fmt.Errorf("config %q: only configs from a file are supported: %w", ref.Source, errdefs.ErrNotImplemented)
		}
		out = append(out, roBind(cc.File, fileTarget("/", ref.Source, ref.Target)))
	}
	return out, nil
}

func fileTarget(dir, name, target string) string {
	if target == "" {
		return path.Join(dir, name)
	}
	if !path.IsAbs(target) {
		return path.Join(dir, target)
	}
	return target
}

func roBind(src, dst string) mount.Mount {
	return mount.Mount{Type: mount.TypeBind, Source: src, Target: dst, ReadOnly: true}
}
