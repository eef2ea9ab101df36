package container

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// Change kinds of GET /containers/{id}/changes.
const (
	changeModify ctr.ChangeType = 0
	changeAdd    ctr.ChangeType = 1
	changeDelete ctr.ChangeType = 2
)

// runtimePaths are what Docker's init layer holds and the runtime mounts
// over: stubs the runtime creates for them are not the container's changes.
var runtimePaths = []string{"/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab", "/.dockerenv"}

type driverData interface {
	DriverData(chainID string) map[string]string
}

// Changes lists what the container changed in its filesystem, read from the
// overlay upper directory: whiteouts are deletions, paths the image has are
// modifications, the rest additions. A directory is reported modified only
// when something under it changed, as Docker reports it.
func (s *Service) Changes(ctx context.Context, ref string) ([]ctr.FilesystemChange, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return nil, err
	}
	dd, ok := s.cfg.RootFS.(driverData)
	upper := filepath.Join(s.dataDir(c.ID), "upper")
	if _, err := os.Stat(upper); err != nil || !ok || s.cfg.RootFS.Name() != "overlay2" {
		return nil, fmt.Errorf("changes are supported by the overlay2 storage driver only: %w", errdefs.ErrNotImplemented)
	}
	return upperChanges(ctx, upper, imageLowers(dd.DriverData(c.ChainID)))
}

// imageLowers lists an image's layer directories, top first.
func imageLowers(data map[string]string) []string {
	var out []string
	if d := data["UpperDir"]; d != "" {
		out = append(out, d)
	}
	if l := data["LowerDir"]; l != "" {
		out = append(out, strings.Split(l, ":")...)
	}
	return out
}

func upperChanges(ctx context.Context, upper string, lowers []string) ([]ctr.FilesystemChange, error) {
	var out []ctr.FilesystemChange
	dirs := map[string]bool{} // modified directories, reported if a descendant changed
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == upper {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, upper+"/"))
		if isRuntimePath(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case isWhiteoutFile(fi):
			out = append(out, ctr.FilesystemChange{Kind: changeDelete, Path: rel})
		case !inLowers(lowers, rel):
			out = append(out, ctr.FilesystemChange{Kind: changeAdd, Path: rel})
		case d.IsDir():
			dirs[rel] = true
			return nil
		default:
			out = append(out, ctr.FilesystemChange{Kind: changeModify, Path: rel})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out = append(out, changedDirs(dirs, out)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// changedDirs returns the modified directories that contain a change.
func changedDirs(dirs map[string]bool, changes []ctr.FilesystemChange) []ctr.FilesystemChange {
	var out []ctr.FilesystemChange
	for dir := range dirs {
		for _, ch := range changes {
			if strings.HasPrefix(ch.Path, dir+"/") {
				out = append(out, ctr.FilesystemChange{Kind: changeModify, Path: dir})
				break
			}
		}
	}
	return out
}

func isRuntimePath(rel string) bool {
	for _, p := range runtimePaths {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

// isWhiteoutFile reports an overlayfs whiteout: a 0:0 character device.
func isWhiteoutFile(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&os.ModeCharDevice != 0 && st.Rdev == 0
}

// inLowers reports whether the image has rel: the topmost layer that has
// an entry for it decides (a whiteout there means deleted).
func inLowers(lowers []string, rel string) bool {
	for _, l := range lowers {
		fi, err := os.Lstat(filepath.Join(l, rel))
		if err != nil {
			continue
		}
		return !isWhiteoutFile(fi)
	}
	return false
}
