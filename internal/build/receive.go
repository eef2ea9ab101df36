package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/berth-engine/berth/internal/archive/decompress"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// A build context is received in one pass: the tar stream is extracted
// into a directory (in memory when the builder has a memory root, moving
// to disk if it fills up) while every regular file's content is hashed on
// its way through, so the COPY checksums need no second read of the files.
// With a context cache (see contexts), the last context stays after its
// build and the next one is received into it: a file whose content (by digest),
// mode, owner and mtime are unchanged is not written again, only what
// differs is, and what the new stream lacks is removed.
//
// The extractor trusts nothing in the stream: names are cleaned and kept
// inside the directory, a path never goes through a symlink or file (of
// this stream or the kept one), and hard links only point at regular files
// of the same stream.

// maxBuffered is the largest file read whole before it is written (so an
// unchanged one need not be written at all); larger ones stream through.
const maxBuffered = 4 << 20

// compareAbove is the size from which an unchanged kept file is recognised
// by comparing its bytes rather than by hashing the new ones.
const compareAbove = 16 << 10

// unpack receives the tar context r (plain or compressed) into a directory
// and returns it; on error nothing is left behind.
func (b *Builder) unpack(ctx context.Context, r io.Reader) (string, error) {
	dir, err := b.receive(ctx, r)
	if err != nil {
		b.release(dir)
		return "", err
	}
	return dir, nil
}

func (b *Builder) receive(ctx context.Context, r io.Reader) (string, error) {
	x, err := b.newExtractor()
	if err != nil {
		return "", err
	}
	defer func() {
		if x.slot != "" && x.root != x.slot { // moved to disk: the slot is free again
			b.release(x.slot)
		}
	}()
	rc, err := decompress.Stream(r)
	if err != nil {
		return x.root, fmt.Errorf("build context: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	defer rc.Close()
	if err := x.run(ctx, rc); err != nil {
		return x.root, fmt.Errorf("build context: %w", err)
	}
	b.ctxs.started(&received{dir: x.root, entries: x.entries})
	return x.root, nil
}

// newExtractor receives into the context cache's slot when it is free,
// else into a new directory.
func (b *Builder) newExtractor() (*extractor, error) {
	x := &extractor{disk: b.tmp, inMem: b.mem != "", dirs: map[string]bool{"": true},
		other: map[string]bool{}, entries: map[string]entryMeta{}}
	if slot, kept := b.ctxs.take(); slot != "" {
		x.root, x.slot, x.prev, x.inMem = slot, slot, kept, true
		return x, nil
	}
	parent := b.tmp
	if b.mem != "" {
		parent = b.mem
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "ctx-")
	x.root = dir
	return x, err
}

// extractor writes one context's entries.
type extractor struct {
	root    string
	disk    string // where to move when the memory root is full
	inMem   bool
	slot    string               // the context cache slot, when receiving into it
	dirs    map[string]bool      // directories made or kept by this stream ("" is the root)
	other   map[string]bool      // non-directories made or kept by this stream
	prev    map[string]entryMeta // the kept context's entries not (yet) claimed
	entries map[string]entryMeta
	meta    []*tar.Header // directories' mode and times, set at the end
	buf     []byte
	cmp     []byte // a kept file's content, to compare
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func (x *extractor) run(ctx context.Context, r io.Reader) error {
	bp := copyBufs.Get().(*[]byte)
	defer func() { copyBufs.Put(bp) }()
	x.buf = *bp
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read tar: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		if err := x.entry(hdr, tr); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
	*bp = x.buf[:cap(x.buf)]
	_, _ = io.Copy(io.Discard, r)
	if err := x.removeUnclaimed(); err != nil {
		return err
	}
	return x.finishDirs()
}

// clean is the entry's name relative to the root ("" for the root).
func clean(name string) (string, error) {
	if c := path.Clean(name); c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("path breaks out of the context: %w", errdefs.ErrInvalidArgument)
	}
	return path.Clean("/" + name)[1:], nil
}

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	rel, err := clean(hdr.Name)
	if err != nil || rel == "" {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeLink:
	default:
		return nil // devices, fifos and extended headers are not context files
	}
	if err := x.parents(rel); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		return x.file(rel, hdr, r)
	case tar.TypeSymlink:
		if pm, ok := x.prev[rel]; ok && pm.typ == tar.TypeSymlink && pm.link == hdr.Linkname && !x.other[rel] {
			return x.claim(rel, hdr, pm)
		}
	}
	if err := x.replace(rel, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	return x.retry(func() error { return x.create(rel, hdr) })
}

// parents makes the directories above rel; none may be a non-directory
// the stream made.
func (x *extractor) parents(rel string) error {
	dir := path.Dir(rel)
	if dir == "." || x.dirs[dir] {
		return nil
	}
	if x.other[dir] {
		return fmt.Errorf("parent %s is not a directory: %w", dir, errdefs.ErrInvalidArgument)
	}
	if err := x.parents(dir); err != nil {
		return err
	}
	if err := x.replace(dir, true); err != nil {
		return err
	}
	if err := x.retry(func() error { return x.mkdir(dir) }); err != nil {
		return err
	}
	x.entries[dir] = entryMeta{typ: tar.TypeDir, mode: 0o755}
	return nil
}

// mkdir makes directory rel (a kept one is there already, with the mode
// an implicit directory gets).
func (x *extractor) mkdir(rel string) error {
	p := filepath.Join(x.root, rel)
	err := os.Mkdir(p, 0o755)
	if errors.Is(err, os.ErrExist) {
		if fi, lerr := os.Lstat(p); lerr != nil || !fi.IsDir() {
			return fmt.Errorf("%s is not a directory: %w", rel, errdefs.ErrInvalidArgument)
		}
		err = nil
	}
	if err == nil {
		err = os.Chmod(p, 0o755) // whatever the umask
	}
	if err != nil {
		return err
	}
	x.dirs[rel] = true
	return nil
}

// replace clears the way for an entry at rel: what this stream made there
// before goes (a directory stays for a directory), as does what the kept
// context has there (a kept directory is claimed for a directory).
func (x *extractor) replace(rel string, dir bool) error {
	switch {
	case x.dirs[rel] && dir:
		return nil
	case x.dirs[rel]: // rare: a directory of this stream replaced
		forget(x.dirs, rel)
		forget(x.other, rel)
		forget(x.entries, rel)
	case x.other[rel]:
		delete(x.other, rel)
		delete(x.entries, rel)
	default:
		pm, ok := x.prev[rel]
		if !ok {
			return nil
		}
		if pm.typ == tar.TypeDir && dir {
			delete(x.prev, rel)
			return nil
		}
		if pm.typ == tar.TypeDir { // rare: a kept directory replaced
			forget(x.prev, rel)
		}
		delete(x.prev, rel)
	}
	return os.RemoveAll(filepath.Join(x.root, rel))
}

// forget drops rel and what is under it from set.
func forget[V any](set map[string]V, rel string) {
	for k := range set {
		if k == rel || strings.HasPrefix(k, rel+"/") {
			delete(set, k)
		}
	}
}

func (x *extractor) create(rel string, hdr *tar.Header) error {
	p := filepath.Join(x.root, rel)
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := x.mkdir(rel); err != nil {
			return err
		}
		x.meta = append(x.meta, &tar.Header{Name: rel, Mode: hdr.Mode, ModTime: hdr.ModTime, Uid: hdr.Uid, Gid: hdr.Gid})
		x.entries[rel] = entryMeta{typ: tar.TypeDir, mode: hdr.Mode, mtime: hdr.ModTime, uid: hdr.Uid, gid: hdr.Gid}
		return nil
	case tar.TypeSymlink:
		if err := os.Symlink(hdr.Linkname, p); err != nil {
			return err
		}
		x.other[rel] = true
		x.entries[rel] = metaOf(hdr, [sha256.Size]byte{})
		return setOwnerTimes(p, hdr)
	}
	target, err := clean(hdr.Linkname) // a hard link
	if err != nil {
		return err
	}
	tm, ok := x.entries[target]
	if !ok || !x.other[target] || tm.typ != tar.TypeReg {
		return fmt.Errorf("hard link to %s, which is not a file of the context: %w", hdr.Linkname, errdefs.ErrInvalidArgument)
	}
	if err := os.Link(filepath.Join(x.root, target), p); err != nil {
		return err
	}
	x.other[rel] = true
	tm.linked = true // never kept by a later stream: its inode is shared
	x.entries[rel], x.entries[target] = tm, tm
	return nil
}

func metaOf(hdr *tar.Header, sum [sha256.Size]byte) entryMeta {
	typ := hdr.Typeflag
	if typ == tar.TypeRegA {
		typ = tar.TypeReg
	}
	return entryMeta{typ: typ, mode: hdr.Mode, mtime: hdr.ModTime, uid: hdr.Uid, gid: hdr.Gid, link: hdr.Linkname, size: hdr.Size, sum: sum}
}

// file receives a regular file: read whole and hashed, then kept if the
// kept context has it unchanged, else written; a large one is written as
// it is hashed.
func (x *extractor) file(rel string, hdr *tar.Header, r io.Reader) error {
	if hdr.Size < 0 || hdr.Size > maxBuffered {
		if err := x.replace(rel, false); err != nil {
			return err
		}
		return x.retry(func() error { return x.stream(rel, hdr, r) })
	}
	if int64(cap(x.buf)) < hdr.Size {
		x.buf = make([]byte, hdr.Size)
	}
	data := x.buf[:hdr.Size]
	if _, err := io.ReadFull(r, data); err != nil {
		return fmt.Errorf("read tar: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	pm, kept := x.prev[rel]
	kept = kept && pm.typ == tar.TypeReg && !pm.linked && !x.other[rel] && !x.dirs[rel]
	var sum [sha256.Size]byte
	hashed := false
	if kept && pm.size == hdr.Size {
		// Reading a small kept file back costs more than hashing it.
		if hdr.Size < compareAbove {
			sum, hashed = sha256.Sum256(data), true
			if sum == pm.sum {
				return x.claim(rel, hdr, pm)
			}
		} else if x.same(rel, data) {
			return x.claim(rel, hdr, pm)
		}
	}
	if !hashed {
		sum = sha256.Sum256(data)
	}
	if kept {
		delete(x.prev, rel)
		return x.retry(func() error { return x.overwrite(rel, hdr, pm, data, sum) })
	}
	if err := x.replace(rel, false); err != nil {
		return err
	}
	return x.retry(func() error { return x.write(rel, hdr, data, sum) })
}

// overwrite writes data over the kept file rel, which had other content.
func (x *extractor) overwrite(rel string, hdr *tar.Header, pm entryMeta, data []byte, sum [sha256.Size]byte) error {
	p := filepath.Join(x.root, rel)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	x.other[rel] = true
	x.entries[rel] = metaOf(hdr, sum)
	if hdr.Uid != pm.uid || hdr.Gid != pm.gid {
		if err := os.Lchown(p, hdr.Uid, hdr.Gid); err != nil && !errors.Is(err, syscall.EPERM) {
			return err
		}
	}
	if err := os.Chmod(p, fileMode(hdr.Mode)); err != nil {
		return err
	}
	return setTimes(p, hdr.ModTime)
}

// same reports whether the kept file rel holds exactly data: then its
// recorded digest is data's.
func (x *extractor) same(rel string, data []byte) bool {
	f, err := os.OpenFile(filepath.Join(x.root, rel), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if cap(x.cmp) < len(data)+1 {
		x.cmp = make([]byte, max(len(data)+1, 64<<10))
	}
	n, err := io.ReadFull(f, x.cmp[:len(data)+1]) // one byte more: the file must end there
	return errors.Is(err, io.ErrUnexpectedEOF) && n == len(data) && bytes.Equal(x.cmp[:n], data) ||
		len(data) == 0 && errors.Is(err, io.EOF)
}

// claim keeps the kept context's entry at rel for hdr, fixing the
// metadata that differs.
func (x *extractor) claim(rel string, hdr *tar.Header, pm entryMeta) error {
	delete(x.prev, rel)
	x.other[rel] = true
	m := metaOf(hdr, pm.sum)
	x.entries[rel] = m
	if m.mode == pm.mode && m.uid == pm.uid && m.gid == pm.gid && m.mtime.Equal(pm.mtime) {
		return nil
	}
	p := filepath.Join(x.root, rel)
	if m.uid != pm.uid || m.gid != pm.gid {
		if err := os.Lchown(p, m.uid, m.gid); err != nil && !errors.Is(err, syscall.EPERM) {
			return err
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := os.Chmod(p, fileMode(m.mode)); err != nil {
			return err
		}
	}
	return setTimes(p, hdr.ModTime)
}

// write creates file rel with data.
func (x *extractor) write(rel string, hdr *tar.Header, data []byte, sum [sha256.Size]byte) error {
	p := filepath.Join(x.root, rel)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return err
	}
	return x.made(rel, p, hdr, sum)
}

// stream writes a large file as it arrives, hashing it. A full memory
// root cannot be retried (the data has gone by): the context moves to disk
// mid-file.
func (x *extractor) stream(rel string, hdr *tar.Header, r io.Reader) error {
	p := filepath.Join(x.root, rel)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	h := sha256.New()
	buf := x.buf[:cap(x.buf)]
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if f, err = x.writeOrSpill(f, rel, buf[:n]); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("read tar: %v: %w", rerr, errdefs.ErrInvalidArgument)
		}
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return x.made(rel, filepath.Join(x.root, rel), hdr, sum)
}

// made records new file rel and gives it its mode, owner and times.
func (x *extractor) made(rel, p string, hdr *tar.Header, sum [sha256.Size]byte) error {
	x.other[rel] = true
	x.entries[rel] = metaOf(hdr, sum)
	if err := setOwnerTimes(p, hdr); err != nil {
		return err
	}
	return os.Chmod(p, fileMode(hdr.Mode)) // after chown, which clears setuid
}

// writeOrSpill writes p to f; when the memory root is full it moves the
// context to disk and goes on there, returning the file to continue with.
func (x *extractor) writeOrSpill(f *os.File, rel string, p []byte) (*os.File, error) {
	n, err := f.Write(p)
	if err == nil || !isFull(err) || !x.inMem {
		return f, err
	}
	f.Close()
	if err := x.spill(); err != nil {
		return nil, err
	}
	f, err = os.OpenFile(filepath.Join(x.root, rel), os.O_WRONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return f, err
	}
	_, err = f.Write(p[n:])
	return f, err
}

// retry runs op, and again on disk when the memory root was full.
func (x *extractor) retry(op func() error) error {
	err := op()
	if err == nil || !isFull(err) || !x.inMem {
		return err
	}
	if err := x.spill(); err != nil {
		return err
	}
	return x.retry(op)
}

// spill moves what was extracted so far from memory to a new directory on
// disk.
func (x *extractor) spill() error {
	if err := os.MkdirAll(x.disk, 0o700); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(x.disk, "ctx-")
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(archive.Tar(context.Background(), x.root, pw)) }()
	_, err = archive.Apply(context.Background(), dir, pr, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply})
	pr.CloseWithError(err)
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("move the context to disk: %w", err)
	}
	os.RemoveAll(x.root)
	x.root, x.inMem = dir, false
	return nil
}

// removeUnclaimed removes what the kept context had and the stream did
// not.
func (x *extractor) removeUnclaimed() error {
	left := make([]string, 0, len(x.prev))
	for rel := range x.prev {
		left = append(left, rel)
	}
	slices.Sort(left)
	for _, rel := range left {
		if err := os.RemoveAll(filepath.Join(x.root, rel)); err != nil {
			return err
		}
	}
	x.prev = nil
	return nil
}

// finishDirs gives directories their mode and times, deepest first (so
// setting a parent's time is not undone by its children).
func (x *extractor) finishDirs() error {
	slices.SortFunc(x.meta, func(a, b *tar.Header) int { return strings.Compare(b.Name, a.Name) })
	for _, h := range x.meta {
		if !x.dirs[h.Name] {
			continue
		}
		p := filepath.Join(x.root, h.Name)
		if err := setOwnerTimes(p, h); err != nil {
			return err
		}
		if err := os.Chmod(p, fileMode(h.Mode)); err != nil {
			return err
		}
	}
	return nil
}

// fileMode is a tar mode as an os.FileMode (permissions and the setuid,
// setgid and sticky bits).
func fileMode(m int64) os.FileMode {
	out := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		out |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}

// setOwnerTimes gives p the entry's owner (when not root's) and mtime,
// without following a symlink.
func setOwnerTimes(p string, hdr *tar.Header) error {
	if hdr.Uid != 0 || hdr.Gid != 0 {
		if err := os.Lchown(p, hdr.Uid, hdr.Gid); err != nil && !errors.Is(err, syscall.EPERM) {
			return err
		}
	}
	return setTimes(p, hdr.ModTime)
}

func setTimes(p string, mt time.Time) error {
	if mt.IsZero() {
		mt = time.Unix(0, 0)
	}
	ts := []unix.Timespec{unix.NsecToTimespec(mt.UnixNano()), unix.NsecToTimespec(mt.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func isFull(err error) bool { return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) }
