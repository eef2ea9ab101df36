package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/moby/api/types/mount"
)

// runMounts turns RUN --mount flags into the build container's mounts:
// type=cache is a directory kept between builds (under the builder's
// root, by cache id), type=bind mounts a path of the build context or,
// with from=, of another stage or an image (read-only unless rw; see
// stageBind), type=tmpfs an empty tmpfs. It also returns what
// the mounts add to the step's cache key: their specs, and the checksum
// of bound context paths. type=secret mounts a secret the request
// carries (Options.Secrets) read-only, from a file outside the image, so
// it never reaches a layer or the history; its content is not part of the
// cache key (as with BuildKit).
func (j *job) runMounts(ctx context.Context, st *state, c *instructions.RunCommand) (runMounts, error) {
	var rm runMounts
	var key strings.Builder
	for _, m := range instructions.GetMounts(c) {
		target := m.Target
		if m.Type == instructions.MountTypeSecret && target == "" {
			target = "/run/secrets/" + secretID(m)
		}
		if !path.IsAbs(target) {
			target = workdir(st.cfg.WorkingDir, target)
		}
		fmt.Fprintf(&key, "%s %s %s %s %v;", m.Type, m.From, m.Source, target, m.ReadOnly)
		switch m.Type {
		case instructions.MountTypeCache:
			dir, err := j.cacheMountDir(m, target)
			if err != nil {
				return rm, err
			}
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: dir, Target: target, ReadOnly: m.ReadOnly})
		case instructions.MountTypeBind:
			if m.From != "" {
				id, err := j.fromImage(ctx, st, m.From)
				if err != nil {
					return rm, fmt.Errorf("RUN --mount: %w", err)
				}
				key.WriteString(id)
				rm.binds = append(rm.binds, stageBind{mount: len(rm.mounts), image: id, source: m.Source})
				rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Target: target, ReadOnly: m.ReadOnly})
				continue
			}
			src, err := j.resolve(strings.TrimPrefix(path.Clean("/"+m.Source), "/"))
			if err != nil {
				return rm, fmt.Errorf("RUN --mount source %s: %v: %w", m.Source, err, errdefs.ErrNotFound)
			}
			sum, err := j.contextChecksum([]source{src})
			if err != nil {
				return rm, err
			}
			key.WriteString(sum)
			if !m.ReadOnly { // the context must stay as received: write to a copy
				rm.binds = append(rm.binds, stageBind{mount: len(rm.mounts), host: src.host})
			}
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: src.host, Target: target, ReadOnly: m.ReadOnly})
		case instructions.MountTypeTmpfs:
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeTmpfs, Target: target})
		case instructions.MountTypeSecret:
			sm, ok, err := j.secretMount(m)
			if err != nil {
				return rm, err
			}
			if ok {
				rm.mounts = append(rm.mounts, sm)
				rm.secrets = append(rm.secrets, sm.Target)
			}
		default:
			return rm, fmt.Errorf("RUN --mount=type=%s is not supported by this builder: %w", m.Type, errdefs.ErrNotImplemented)
		}
	}
	rm.key = key.String()
	return rm, nil
}

// runMounts are a RUN step's mounts.
type runMounts struct {
	mounts  []mount.Mount
	key     string   // what they add to the cache key
	secrets []string // secret mount points, kept out of the layer
	binds   []stageBind
}

// cacheMountDir creates (once) the directory of a cache mount.
func (j *job) cacheMountDir(m *instructions.Mount, target string) (string, error) {
	id := m.CacheID
	if id == "" {
		id = target
	}
	sum := sha256.Sum256([]byte(id))
	dir := filepath.Join(j.b.root, "cache-mounts", hex.EncodeToString(sum[:16]))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	mode := os.FileMode(0o755)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, mode); err != nil {
		return "", err
	}
	uid, gid := 0, 0
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	return dir, os.Lchown(dir, uid, gid)
}

func secretID(m *instructions.Mount) string {
	switch {
	case m.CacheID != "":
		return m.CacheID
	case m.Source != "":
		return m.Source
	}
	return path.Base(m.Target)
}

// secretMount writes secret m to a file of the build's private directory
// and returns its read-only bind mount; false when the secret was not
// given and is not required.
func (j *job) secretMount(m *instructions.Mount) (mount.Mount, bool, error) {
	id := secretID(m)
	if m.Env != nil {
		return mount.Mount{}, false, fmt.Errorf("RUN --mount=type=secret,env= is not supported by this builder: %w", errdefs.ErrNotImplemented)
	}
	data, ok := j.opts.Secrets[id]
	if !ok {
		if m.Required {
			return mount.Mount{}, false, fmt.Errorf("secret %s: not provided: %w", id, errdefs.ErrInvalidArgument)
		}
		return mount.Mount{}, false, nil
	}
	dir := j.dir + ".secrets"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return mount.Mount{}, false, err
	}
	sum := sha256.Sum256([]byte(id))
	file := filepath.Join(dir, hex.EncodeToString(sum[:8]))
	mode := os.FileMode(0o400)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	if err := os.WriteFile(file, data, mode); err != nil {
		return mount.Mount{}, false, err
	}
	uid, gid := 0, 0
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	if err := os.Chown(file, uid, gid); err != nil {
		return mount.Mount{}, false, err
	}
	if err := os.Chmod(file, mode); err != nil {
		return mount.Mount{}, false, err
	}
	target := m.Target
	if target == "" {
		target = "/run/secrets/" + id
	}
	return mount.Mount{Type: mount.TypeBind, Source: file, Target: target, ReadOnly: true}, true, nil
}
