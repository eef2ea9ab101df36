package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// copyRequest is a COPY or ADD instruction.
type copyRequest struct {
	instructions.SourcesAndDest
	name     string // COPY or ADD
	from     string // stage or image (COPY --from)
	chown    string
	chmod    string
	unpack   bool   // ADD: local tar archives are extracted, URLs fetched
	checksum string // ADD --checksum
}

// source is one resolved COPY source.
type source struct {
	rel    string  // path as given, cleaned
	host   string  // context: the file on the host
	data   *string // heredoc content (COPY <<EOF)
	remote bool    // ADD <url>: never extracted
	isDir  bool
}

func (j *job) copyStep(ctx context.Context, st *state, req copyRequest) error {
	if len(req.SourceContents) > 0 && req.from != "" {
		return fmt.Errorf("%s --from with heredocs is not supported: %w", req.name, errdefs.ErrInvalidArgument)
	}
	mode, err := parseChmod(req.chmod)
	if err != nil {
		return err
	}
	dest := req.DestPath
	if !path.IsAbs(dest) {
		wd := st.cfg.WorkingDir
		if wd == "" {
			wd = "/"
		}
		trailing := strings.HasSuffix(dest, "/") || dest == "."
		dest = path.Join(wd, dest)
		if trailing {
			dest += "/"
		}
	}
	if req.from != "" {
		return j.copyFrom(ctx, st, req, dest, mode)
	}
	srcs, err := j.contextSources(ctx, req)
	if err != nil {
		return err
	}
	for _, sc := range req.SourceContents {
		srcs = append(srcs, source{rel: sc.Path, data: &sc.Data})
	}
	if (len(srcs) > 1 || len(req.SourcePaths) > 1) && !strings.HasSuffix(dest, "/") {
		return fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /: %w", req.name, errdefs.ErrInvalidArgument)
	}
	sum, err := j.contextChecksum(srcs)
	if err != nil {
		return err
	}
	kind := "file"
	if len(srcs) > 1 || srcs[0].isDir {
		kind = "dir"
	}
	createdBy := fmt.Sprintf("/bin/sh -c #(nop) %s %s:%s in %s ", req.name, kind, sum, dest)
	key, hit := j.probe(ctx, st, st.cfg, createdBy, req.chown+"\x00"+req.chmod)
	if hit {
		return nil
	}
	return j.writeLayer(ctx, st, cloneConfig(st.cfg), createdBy, key, req.chown, func(cid string) (func(w *layerWriter) error, error) {
		targets := make([]string, len(srcs))
		for i, s := range srcs {
			targets[i] = j.destFor(ctx, cid, dest, s.rel, s.isDir || (req.unpack && s.data == nil && !s.remote && isArchive(s.host)))
		}
		return func(w *layerWriter) error {
			w.mode = mode
			for i, s := range srcs {
				if err := w.addSource(s, targets[i], req.unpack && !s.remote); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
}

// contextSources resolves the sources in the build context: wildcards
// expand, symlinks resolve inside the context, nothing outside it.
func (j *job) contextSources(ctx context.Context, req copyRequest) ([]source, error) {
	var out []source
	for _, p := range req.SourcePaths {
		if strings.Contains(p, "://") || strings.HasPrefix(p, "git@") {
			if !req.unpack {
				return nil, fmt.Errorf("source can't be a URL for %s: %w", req.name, errdefs.ErrInvalidArgument)
			}
			s, err := j.download(ctx, p, req.checksum)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		rel := path.Clean(filepath.ToSlash(p))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("%s failed: forbidden path outside the build context: %s: %w", req.name, p, errdefs.ErrInvalidArgument)
		}
		rel = strings.TrimPrefix(rel, "/")
		if rel == "" {
			rel = "."
		}
		matches, err := j.match(rel)
		if err != nil {
			return nil, err
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist: %w", req.name, p, errdefs.ErrNotFound)
		}
		out = append(out, matches...)
	}
	return out, nil
}

// match returns the context paths matching pattern (a plain path when it
// has no wildcard).
func (j *job) match(pattern string) ([]source, error) { return matchIn(j.dir, pattern) }

// matchIn returns the paths under root matching pattern (a plain path
// when it has no wildcard); a matching directory is not searched further.
func matchIn(root, pattern string) ([]source, error) {
	if !hasWildcard(pattern) {
		s, err := resolveIn(root, pattern)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []source{s}, nil
	}
	var out []source
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if ok, _ := path.Match(pattern, filepath.ToSlash(rel)); !ok || rel == "." {
			return nil
		}
		s, err := resolveIn(root, rel)
		if err != nil {
			return err
		}
		out = append(out, s)
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
	return out, err
}

func (j *job) resolve(rel string) (source, error) { return resolveIn(j.dir, rel) }

// resolveIn finds rel under root, symlinks resolved inside root.
func resolveIn(root, rel string) (source, error) {
	host, err := securejoin.SecureJoin(root, rel)
	if err != nil {
		return source{}, err
	}
	fi, err := os.Stat(host)
	if err != nil {
		return source{}, err
	}
	return source{rel: rel, host: host, isDir: fi.IsDir()}, nil
}

// target is where source rel goes: into dest when dest is (or must be) a
// directory, else dest itself.
func (j *job) destFor(ctx context.Context, cid, dest, rel string, isDir bool) string {
	if isDir {
		return dest
	}
	if strings.HasSuffix(dest, "/") || (cid != "" && j.isDir(ctx, cid, dest)) {
		return path.Join(dest, path.Base(rel))
	}
	return dest
}

func (j *job) isDir(ctx context.Context, cid, p string) bool {
	for range 8 {
		st, err := j.b.be.Stat(ctx, cid, p)
		if err != nil {
			return false
		}
		if st.Mode&fs.ModeSymlink == 0 || st.LinkTarget == "" || st.LinkTarget == p {
			return st.Mode.IsDir()
		}
		p = st.LinkTarget
	}
	return false
}

// checksum hashes the sources' names, modes, link targets and contents.
// File contents are hashed in parallel; their digests are then combined
// in walk order, so the result does not depend on scheduling.
func checksum(srcs []source) (string, error) { return checksumWith(srcs, nil) }

// checksumWith is checksum taking the digests of files in known (those
// hashed as the context was received) instead of reading them again.
func checksumWith(srcs []source, known contextSums) (string, error) {
	type entry struct {
		header string
		path   string // regular file to hash, or ""
		sum    [sha256.Size]byte
	}
	var entries []*entry
	for _, s := range srcs {
		if s.data != nil {
			entries = append(entries, &entry{header: fmt.Sprintf("heredoc\x00%s\x00%s\x00", s.rel, *s.data)})
			continue
		}
		err := filepath.WalkDir(s.host, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.host, p)
			e := &entry{header: fmt.Sprintf("%s\x00%s\x00%o\x00", s.rel, rel, fi.Mode())}
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				t, _ := os.Readlink(p)
				e.header += t + "\x00"
			case fi.Mode().IsRegular():
				e.path = p
			}
			entries = append(entries, e)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, e := range entries {
		if e.path == "" {
			continue
		}
		if sum, ok := known[e.path]; ok {
			e.sum = sum
			continue
		}
		g.Go(func() error {
			f, err := os.Open(e.path)
			if err != nil {
				return err
			}
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
			copy(e.sum[:], h.Sum(nil))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries {
		io.WriteString(h, e.header)
		if e.path != "" {
			h.Write(e.sum[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyFrom copies paths from another stage or an image. A source with
// wildcards is expanded in the source's files as a context source is:
// the directory above its first wildcard is extracted and matched.
func (j *job) copyFrom(ctx context.Context, st *state, req copyRequest, dest string, mode *int64) error {
	srcID, err := j.fromImage(ctx, st, req.from)
	if err != nil {
		return err
	}
	if len(req.SourcePaths) > 1 && !strings.HasSuffix(dest, "/") {
		return fmt.Errorf("When using COPY with more than one source file, the destination must be a directory and end with a /: %w", errdefs.ErrInvalidArgument)
	}
	createdBy := fmt.Sprintf("/bin/sh -c #(nop) COPY --from=%s %s in %s ", req.from, strings.Join(req.SourcePaths, " "), dest)
	key, hit := j.probe(ctx, st, st.cfg, createdBy, srcID+"\x00"+req.chown+"\x00"+req.chmod)
	if hit {
		return nil
	}
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	return j.withSource(ctx, srcID, func(src string) error {
		return j.writeLayer(ctx, st, cloneConfig(st.cfg), createdBy, key, req.chown, func(cid string) (func(w *layerWriter) error, error) {
			var items []fromItem
			for _, p := range req.SourcePaths {
				got, cleanup, err := j.fromItems(ctx, src, p)
				if cleanup != nil {
					cleanups = append(cleanups, cleanup)
				}
				if err != nil {
					return nil, err
				}
				items = append(items, got...)
			}
			if len(items) > 1 && !strings.HasSuffix(dest, "/") {
				return nil, fmt.Errorf("When using COPY with more than one source file, the destination must be a directory and end with a /: %w", errdefs.ErrInvalidArgument)
			}
			for i := range items {
				items[i].target = j.destFor(ctx, cid, dest, items[i].rel(), items[i].isDir())
			}
			return func(w *layerWriter) error {
				w.mode = mode
				for _, it := range items {
					if err := it.add(ctx, w, j.b.be, src); err != nil {
						return err
					}
				}
				return nil
			}, nil
		})
	})
}

// fromItem is one source of a COPY --from: a path streamed from the
// source container, or a wildcard match extracted on the host.
type fromItem struct {
	path   string // in the source container ("" for a match)
	dir    bool
	match  source
	target string
}

func (it fromItem) rel() string {
	if it.path != "" {
		return it.path
	}
	return it.match.rel
}

func (it fromItem) isDir() bool { return it.dir || it.match.isDir }

func (it fromItem) add(ctx context.Context, w *layerWriter, be Containers, src string) error {
	if it.path != "" {
		return w.addImagePath(ctx, be, src, it.path, it.target, it.dir)
	}
	return w.addSource(it.match, it.target, false)
}

// fromItems resolves source p of container src: itself, or what its
// wildcards match (the returned function removes the extracted files).
func (j *job) fromItems(ctx context.Context, src, p string) ([]fromItem, func(), error) {
	if !hasWildcard(p) {
		stat, err := j.b.be.Stat(ctx, src, p)
		if err != nil {
			return nil, nil, fmt.Errorf("COPY failed: %w", err)
		}
		return []fromItem{{path: p, dir: stat.Mode.IsDir()}}, nil, nil
	}
	base, pattern := splitWildcard(p)
	dir, cleanup, err := j.scratchDir("from-")
	if err != nil {
		return nil, nil, err
	}
	root, err := j.extract(ctx, src, base, dir)
	if errdefs.IsNotFound(err) {
		err = nil
		root = ""
	}
	if err != nil {
		return nil, cleanup, err
	}
	var matches []source
	if root != "" {
		if matches, err = matchIn(root, pattern); err != nil {
			return nil, cleanup, err
		}
	}
	if len(matches) == 0 {
		return nil, cleanup, fmt.Errorf("COPY failed: no source files were specified: nothing matches %s: %w", p, errdefs.ErrNotFound)
	}
	items := make([]fromItem, len(matches))
	for i, m := range matches {
		items[i] = fromItem{match: m}
	}
	return items, cleanup, nil
}

func hasWildcard(p string) bool { return strings.ContainsAny(p, "*?[") }

// splitWildcard splits p at the directory above its first wildcard:
// "/out/*/lib*.so" is "/out" and "*/lib*.so".
func splitWildcard(p string) (base, pattern string) {
	parts := strings.Split(strings.TrimPrefix(path.Clean("/"+p), "/"), "/")
	for i, part := range parts {
		if hasWildcard(part) {
			return "/" + strings.Join(parts[:i], "/"), strings.Join(parts[i:], "/")
		}
	}
	return "/", strings.Join(parts, "/")
}

// fromImage is the image ID of a stage (by name or index) or image ref.
func (j *job) fromImage(ctx context.Context, st *state, from string) (string, error) {
	for i, s := range j.stages {
		if strings.EqualFold(s.Name, from) || fmt.Sprint(i) == from {
			if src := j.stateOf(i); src != nil && src.id != "" {
				return src.id.String(), nil
			}
			return "", fmt.Errorf("stage %s has no image to copy from: %w", from, errdefs.ErrInvalidArgument)
		}
	}
	img, err := j.b.be.Image(ctx, from)
	if errdefs.IsNotFound(err) {
		img, err = j.pull(ctx, st, from)
	}
	if err != nil {
		return "", unknownSource(from, err)
	}
	return img.ID.String(), nil
}
