package build

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// contextChecksum is checksum for sources of the build context: from what
// was recorded as the context was received when it was (no walk, no
// reads), else from the files.
func (j *job) contextChecksum(srcs []source) (string, error) {
	j.b.ctxs.mu.Lock()
	r := j.b.ctxs.running[j.dir]
	j.b.ctxs.mu.Unlock()
	if r != nil {
		if sum, ok := r.checksum(srcs); ok {
			return sum, nil
		}
	}
	return checksumWith(srcs, j.b.sumsOf(j.dir))
}

// checksum computes what checksumWith does, walking the recorded entries
// in the order filepath.WalkDir visits them; false when a source is not
// an entry of the context.
func (r *received) checksum(srcs []source) (string, bool) {
	h := sha256.New()
	for _, s := range srcs {
		if s.data != nil {
			fmt.Fprintf(h, "heredoc\x00%s\x00%s\x00", s.rel, *s.data)
			continue
		}
		rel, err := filepath.Rel(r.dir, s.host)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return "", false
		}
		fi, err := os.Lstat(s.host)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			return "", false
		}
		fmt.Fprintf(h, "%s\x00.\x00%o\x00", s.rel, fi.Mode())
		if fi.Mode().IsRegular() {
			e, ok := r.entries[rel]
			if !ok || e.typ != tar.TypeReg {
				return "", false
			}
			h.Write(e.sum[:])
			continue
		}
		if !fi.IsDir() || !r.under(rel, func(name string, e entryMeta) {
			fmt.Fprintf(h, "%s\x00%s\x00%o\x00", s.rel, name, e.fileMode())
			switch e.typ {
			case tar.TypeSymlink:
				io.WriteString(h, e.link+"\x00")
			case tar.TypeReg:
				h.Write(e.sum[:])
			}
		}) {
			return "", false
		}
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// under calls fn, in walk order, for the entries under directory rel ("."
// is the root) with their names relative to it; false if rel is not a
// directory entry.
func (r *received) under(rel string, fn func(name string, e entryMeta)) bool {
	start, prefix := 0, ""
	if rel != "." {
		i, found := slices.BinarySearchFunc(r.order, rel, walkCompare)
		if !found || r.entries[rel].typ != tar.TypeDir {
			return false
		}
		start, prefix = i+1, rel+"/"
	}
	for _, name := range r.order[start:] {
		if !strings.HasPrefix(name, prefix) {
			break
		}
		fn(name[len(prefix):], r.entries[name])
	}
	return true
}

// sortEntries puts the entries' names in walk order.
func (r *received) sortEntries() {
	r.order = make([]string, 0, len(r.entries))
	for name := range r.entries {
		r.order = append(r.order, name)
	}
	slices.SortFunc(r.order, walkCompare)
}

// walkCompare orders slash-separated paths as a depth-first walk visiting
// names in byte order does: component by component ("a", "a/b", "a.txt").
func walkCompare(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return -1
		}
		if cb == '/' {
			return 1
		}
		return int(ca) - int(cb)
	}
	return len(a) - len(b)
}

// fileMode is the mode Lstat reports for the entry as received.
func (e entryMeta) fileMode() os.FileMode {
	switch e.typ {
	case tar.TypeDir:
		return fs.ModeDir | fileMode(e.mode)
	case tar.TypeSymlink:
		return fs.ModeSymlink | 0o777
	}
	return fileMode(e.mode)
}
