package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/archive/decompress"
	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/sys/user"
)

// owner is a --chown: nil keeps the default (root, or the archive's).
type owner *[2]int

// writeLayer makes the step's layer from the tar fill writes: into a
// container from the current image (so paths resolve through its
// symlinks), or directly as the first layer of a scratch stage.
// plan runs first, with the container (when there is one) free to stat;
// the fill it returns then writes the tar while the container is locked.
// A nil fill means the step changes no file: the image gets no layer.
func (j *job) writeLayer(ctx context.Context, st *state, cfg dockerspec.DockerOCIImageConfig, createdBy, key, chown string,
	plan func(cid string) (fill func(w *layerWriter) error, err error)) error {
	if st.id == "" {
		own, err := parseChown(chown, nil)
		if err != nil {
			return err
		}
		fill, err := plan("")
		if err != nil {
			return err
		}
		opts := image.ChildOptions{Config: cfg, CreatedBy: createdBy, Author: st.author}
		if fill != nil {
			opts.Layer = tarStream(own, fill)
		}
		img, err := j.b.be.Child(ctx, opts)
		if err != nil {
			return err
		}
		return j.done(st, img, key)
	}
	ccfg := &ctr.Config{Image: st.id.String(), Cmd: append(st.shell(), strings.TrimPrefix(createdBy, "/bin/sh -c ")),
		Entrypoint: []string{}, Healthcheck: &ctr.HealthConfig{Test: []string{"NONE"}}}
	cid, err := j.b.be.Create(ctx, ccfg, &ctr.HostConfig{NetworkMode: "none"})
	if err != nil {
		return err
	}
	defer func() { _ = j.b.be.Remove(context.WithoutCancel(ctx), cid) }()
	own, err := parseChown(chown, j.passwd(ctx, cid))
	if err != nil {
		return err
	}
	fill, err := plan(cid)
	if err != nil {
		return err
	}
	if fill == nil {
		img, err := j.b.be.Child(ctx, image.ChildOptions{Parent: st.id, Config: cfg, CreatedBy: createdBy, Author: st.author})
		if err != nil {
			return err
		}
		return j.done(st, img, key)
	}
	r := tarStream(own, fill)
	err = j.b.be.Put(ctx, cid, r)
	r.CloseWithError(err)
	if err != nil {
		return err
	}
	return j.commitContainer(ctx, st, cid, cfg, createdBy, key)
}

// tarStream runs fill on a tar writer feeding the returned reader.
func tarStream(own owner, fill func(w *layerWriter) error) *io.PipeReader {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := fill(&layerWriter{tw: tw, own: own})
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// passwd returns a reader of the container's /etc/passwd and
// /etc/group, for --chown by name.
func (j *job) passwd(ctx context.Context, cid string) func(name string) io.Reader {
	return func(name string) io.Reader {
		var buf bytes.Buffer
		if _, err := j.b.be.Get(ctx, cid, name, &buf); err != nil {
			return nil
		}
		tr := tar.NewReader(&buf)
		if _, err := tr.Next(); err != nil {
			return nil
		}
		data, _ := io.ReadAll(tr)
		return bytes.NewReader(data)
	}
}

// parseChown resolves user[:group] (names through the image's files).
func parseChown(spec string, files func(name string) io.Reader) (owner, error) {
	if spec == "" {
		return nil, nil
	}
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, uerr := strconv.Atoi(u)
	gid, gerr := strconv.Atoi(g)
	if uerr == nil && (!hasGroup || gerr == nil) {
		if !hasGroup {
			gid = uid
		}
		return &[2]int{uid, gid}, nil
	}
	if files == nil {
		return nil, fmt.Errorf("unable to convert uid/gid chown string to host mapping: no users in a scratch image: %w", errdefs.ErrInvalidArgument)
	}
	passwd, group := files("/etc/passwd"), files("/etc/group")
	if passwd == nil {
		passwd = strings.NewReader("")
	}
	if group == nil {
		group = strings.NewReader("")
	}
	eu, err := user.GetExecUser(spec, &user.ExecUser{}, passwd, group)
	if err != nil {
		return nil, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if !hasGroup {
		eu.Gid = eu.Uid
	}
	return &[2]int{eu.Uid, eu.Gid}, nil
}

func parseChmod(s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	m, err := strconv.ParseInt(s, 8, 32)
	if err != nil || m < 0 || m > 0o7777 {
		return nil, fmt.Errorf("invalid chmod parameter: %s: %w", s, errdefs.ErrInvalidArgument)
	}
	return &m, nil
}

// layerWriter writes copied files as tar entries.
type layerWriter struct {
	tw   *tar.Writer
	own  owner
	mode *int64
}

func (w *layerWriter) put(hdr *tar.Header, r io.Reader, keepOwner bool) error {
	hdr.Name = strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
	if hdr.Name == "" {
		return nil
	}
	if hdr.Typeflag == tar.TypeDir {
		hdr.Name += "/"
	}
	switch {
	case w.own != nil:
		hdr.Uid, hdr.Gid = w.own[0], w.own[1]
	case !keepOwner:
		hdr.Uid, hdr.Gid = 0, 0
	}
	hdr.Uname, hdr.Gname = "", ""
	if w.mode != nil {
		hdr.Mode = *w.mode
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if r != nil && hdr.Typeflag == tar.TypeReg {
		_, err := io.Copy(w.tw, r)
		return err
	}
	return nil
}

// addSource writes a context source at target (a directory's content
// goes into target). With unpack, a local tar archive is extracted there.
func (w *layerWriter) addSource(s source, target string, unpack bool) error {
	if s.data != nil {
		hdr := &tar.Header{Name: target, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(*s.data)), ModTime: time.Now()}
		return w.put(hdr, strings.NewReader(*s.data), false)
	}
	if !s.isDir {
		if unpack {
			if ok, err := w.addArchive(s.host, target); ok || err != nil {
				return err
			}
		}
		return w.addFile(s.host, target)
	}
	return filepath.WalkDir(s.host, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == s.host {
			return err
		}
		rel, _ := filepath.Rel(s.host, p)
		return w.addFile(p, path.Join(target, filepath.ToSlash(rel)))
	})
}

func (w *layerWriter) addFile(host, name string) error {
	fi, err := os.Lstat(host)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(host); err != nil {
			return err
		}
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() && link == "" {
		return nil // devices, sockets and fifos are not copied
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if !fi.Mode().IsRegular() {
		return w.put(hdr, nil, false)
	}
	f, err := os.Open(host)
	if err != nil {
		return err
	}
	defer f.Close()
	return w.put(hdr, f, false)
}

// addArchive extracts a tar archive (plain or compressed) into dir; false
// when host is not an archive.
func (w *layerWriter) addArchive(host, dir string) (bool, error) {
	if !isArchive(host) {
		return false, nil
	}
	f, err := os.Open(host)
	if err != nil {
		return true, err
	}
	defer f.Close()
	rc, err := decompress.Stream(f)
	if err != nil {
		return true, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("ADD %s: %w", filepath.Base(host), err)
		}
		hdr.Name = path.Join(dir, path.Clean("/"+hdr.Name))
		if hdr.Typeflag == tar.TypeLink {
			hdr.Linkname = path.Join(dir, path.Clean("/"+hdr.Linkname))
		}
		if err := w.put(hdr, tr, true); err != nil {
			return true, err
		}
	}
}

func isArchive(host string) bool {
	f, err := os.Open(host)
	if err != nil {
		return false
	}
	defer f.Close()
	rc, err := decompress.Stream(f)
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = tar.NewReader(rc).Next()
	return err == nil
}

// addImagePath copies path p of container src (another stage or image)
// to target.
func (w *layerWriter) addImagePath(ctx context.Context, be Containers, src, p, target string, isDir bool) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := be.Get(ctx, src, p, pw)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	tr := tar.NewReader(pr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		_, rest, _ := strings.Cut(strings.TrimPrefix(hdr.Name, "/"), "/")
		rest = strings.TrimSuffix(rest, "/")
		if isDir && rest == "" {
			continue // the directory itself: its content goes into target
		}
		hdr.Name = path.Join(target, rest)
		if hdr.Typeflag == tar.TypeLink {
			_, lrest, _ := strings.Cut(strings.TrimPrefix(hdr.Linkname, "/"), "/")
			hdr.Linkname = path.Join(target, lrest)
		}
		if err := w.put(hdr, tr, false); err != nil {
			return err
		}
	}
}
