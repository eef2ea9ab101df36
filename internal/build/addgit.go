package build

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	digest "github.com/opencontainers/go-digest"
)

// isGitSource reports whether an ADD names a git repository.
func isGitSource(c *instructions.AddCommand) bool {
	for _, p := range c.SourcePaths {
		if isGitURL(p) {
			return true
		}
	}
	return false
}

// addGit runs ADD <git URL>[#ref[:subdir]] <dest>, as BuildKit does: the
// checkout's files (without .git unless --keep-git-dir) go into dest.
func (j *job) addGit(ctx context.Context, st *state, c *instructions.AddCommand) error {
	if c.Checksum != "" {
		return fmt.Errorf("ADD --checksum requires HTTP(S) sources, not a git repository: %w", errdefs.ErrInvalidArgument)
	}
	if len(c.SourcePaths) != 1 || len(c.SourceContents) > 0 {
		return fmt.Errorf("ADD of a git repository takes exactly one source: %w", errdefs.ErrInvalidArgument)
	}
	g, err := parseGitURL(c.SourcePaths[0])
	if err != nil {
		return err
	}
	mode, err := parseChmod(c.Chmod)
	if err != nil {
		return err
	}
	downloads := j.dir + ".downloads"
	if err := os.MkdirAll(downloads, 0o700); err != nil {
		return err
	}
	checkout := filepath.Join(downloads, fmt.Sprint("git-", j.downloads.Add(1)))
	keep := c.KeepGitDir != nil && *c.KeepGitDir
	root, err := clone(ctx, g, checkout, keep)
	if err != nil {
		return fmt.Errorf("ADD %s: %w", c.SourcePaths[0], err)
	}
	src := source{rel: ".", host: root, isDir: true}
	sum, err := checkoutSum(root, keep)
	if err != nil {
		return err
	}
	dest := destPath(st.cfg.WorkingDir, c.DestPath)
	createdBy := fmt.Sprintf("/bin/sh -c #(nop) ADD dir:%s in %s ", sum, dest)
	key, hit := j.probe(ctx, st, st.cfg, createdBy, c.Chown+"\x00"+c.Chmod)
	if hit {
		return nil
	}
	return j.writeLayer(ctx, st, cloneConfig(st.cfg), createdBy, key, c.Chown, func(string) (func(w *layerWriter) error, error) {
		return func(w *layerWriter) error {
			w.mode = mode
			return w.addSource(src, dest, false)
		}, nil
	})
}

// destPath is an ADD/COPY destination made absolute against the working
// directory, keeping a trailing slash.
func destPath(wd, dest string) string {
	if path.IsAbs(dest) {
		return dest
	}
	if wd == "" {
		wd = "/"
	}
	trailing := strings.HasSuffix(dest, "/") || dest == "."
	dest = path.Join(wd, dest)
	if trailing {
		dest += "/"
	}
	return dest
}

// checkoutSum is the checksum of a checkout's files. A kept .git counts
// by the commit checked out (its other files, FETCH_HEAD or the index,
// differ from one clone to the next).
func checkoutSum(root string, keepGitDir bool) (string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	var srcs []source
	for _, e := range ents {
		if e.Name() == ".git" {
			continue
		}
		srcs = append(srcs, source{rel: e.Name(), host: filepath.Join(root, e.Name()), isDir: e.IsDir()})
	}
	sum, err := checksum(srcs)
	if err != nil || !keepGitDir {
		return sum, err
	}
	head, err := os.ReadFile(filepath.Join(root, ".git", "HEAD"))
	if errors.Is(err, fs.ErrNotExist) { // a subdirectory: no .git in it
		return sum, nil
	}
	if err != nil {
		return "", err
	}
	return digest.FromString(sum + "\x00" + strings.TrimSpace(string(head))).Encoded(), nil
}
