package compose

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// A service's secrets (at /run/secrets/<name>) and configs (at /<name>, or
// their target) come from a file, an environment variable of the project
// or, for configs, inline content. A file without uid, gid or mode is
// bind-mounted read-only, as docker-compose v1 does; every other one is
// copied into the created container, before it starts, with the archive
// API, as Docker Compose v2 does: the value lives only in the container's
// writable layer (never in an image layer, a label or the config hash) and
// goes away with the container on `down`.

// defaultFileMode is the mode of injected secrets and configs.
const defaultFileMode = 0o444

// projectFile is one secret or config a service uses.
type projectFile struct {
	kind   string // "secret" or "config"
	ref    types.FileReferenceConfig
	obj    types.FileObjectConfig
	target string // absolute path in the container
}

// serviceFiles resolves the service's secret and config references.
func serviceFiles(p *types.Project, s types.ServiceConfig) ([]projectFile, error) {
	var out []projectFile
	for _, ref := range s.Secrets {
		sc, ok := p.Secrets[ref.Source]
		if !ok {
			return nil, fmt.Errorf("service %q refers to undefined secret %q: %w", s.Name, ref.Source, errdefs.ErrInvalidArgument)
		}
		out = append(out, projectFile{"secret", types.FileReferenceConfig(ref), types.FileObjectConfig(sc), fileTarget("/run/secrets", ref.Source, ref.Target)})
	}
	for _, ref := range s.Configs {
		cc, ok := p.Configs[ref.Source]
		if !ok {
			return nil, fmt.Errorf("service %q refers to undefined config %q: %w", s.Name, ref.Source, errdefs.ErrInvalidArgument)
		}
		out = append(out, projectFile{"config", types.FileReferenceConfig(ref), types.FileObjectConfig(cc), fileTarget("/", ref.Source, ref.Target)})
	}
	for _, f := range out {
		if f.obj.External {
			return nil, fmt.Errorf("%s %q: external %ss need a swarm: %w", f.kind, f.ref.Source, f.kind, errdefs.ErrNotImplemented)
		}
	}
	return out, nil
}

// bind reports whether the file is bind-mounted rather than copied.
func (f projectFile) bind() bool {
	return f.obj.File != "" && f.ref.UID == "" && f.ref.GID == "" && f.ref.Mode == nil
}

// content is the file's value: the variable's or the inline content, or
// the file's bytes.
func (f projectFile) content(p *types.Project) ([]byte, error) {
	switch {
	case f.obj.Environment != "":
		v, ok := p.Environment[f.obj.Environment]
		if !ok {
			return nil, fmt.Errorf("%s %q: environment variable %s is not set: %w", f.kind, f.ref.Source, f.obj.Environment, errdefs.ErrInvalidArgument)
		}
		return []byte(v), nil
	case f.obj.File != "":
		b, err := os.ReadFile(f.obj.File)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", f.kind, f.ref.Source, err)
		}
		return b, nil
	case f.obj.Content != "" || f.kind == "config":
		return []byte(f.obj.Content), nil
	}
	return nil, fmt.Errorf("%s %q: no file, environment or content: %w", f.kind, f.ref.Source, errdefs.ErrInvalidArgument)
}

// header is the tar header of the copied file.
func (f projectFile) header(size int) (*tar.Header, error) {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.target, "/"), Size: int64(size),
		Mode: defaultFileMode, ModTime: time.Now()}
	var err error
	if h.Uid, err = fileID(f.ref.UID); err != nil {
		return nil, fmt.Errorf("%s %q: uid %q: %w", f.kind, f.ref.Source, f.ref.UID, err)
	}
	if h.Gid, err = fileID(f.ref.GID); err != nil {
		return nil, fmt.Errorf("%s %q: gid %q: %w", f.kind, f.ref.Source, f.ref.GID, err)
	}
	if f.ref.Mode != nil {
		h.Mode = int64(*f.ref.Mode) & 0o7777
	}
	return h, nil
}

func fileID(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errdefs.ErrInvalidArgument
	}
	return n, nil
}

// fileMounts returns the read-only bind mounts of the service's file
// secrets and configs, after checking that every other one can be copied
// (so a bad project fails before anything is created).
func fileMounts(p *types.Project, s types.ServiceConfig) ([]mount.Mount, error) {
	files, err := serviceFiles(p, s)
	if err != nil {
		return nil, err
	}
	var out []mount.Mount
	for _, f := range files {
		if f.bind() {
			out = append(out, roBind(f.obj.File, f.target))
			continue
		}
		if f.obj.File == "" {
			if _, err := f.content(p); err != nil {
				return nil, err
			}
		}
		if _, err := f.header(0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// filesTar is the tar stream (relative to /) of the service's copied
// secrets and configs; nil when there are none.
func filesTar(p *types.Project, s types.ServiceConfig) (*bytes.Buffer, error) {
	files, err := serviceFiles(p, s)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	n := 0
	for _, f := range files {
		if f.bind() {
			continue
		}
		data, err := f.content(p)
		if err != nil {
			return nil, err
		}
		h, err := f.header(len(data))
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	return &buf, tw.Close()
}

// injectFiles copies the service's non-bind secrets and configs into the
// created container id.
func (c *Compose) injectFiles(ctx context.Context, p *types.Project, s types.ServiceConfig, id string) error {
	tr, err := filesTar(p, s)
	if err != nil || tr == nil {
		return err
	}
	_, err = c.api.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: tr, CopyUIDGID: true})
	if err != nil {
		return fmt.Errorf("service %q: copy secrets and configs: %w", s.Name, err)
	}
	return nil
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
