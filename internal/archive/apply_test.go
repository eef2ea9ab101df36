package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// entry is a compact tar entry description for tests.
type entry struct {
	name, link string
	typ        byte
	mode       int64
	body       string
	uid, gid   int
	xattrs     map[string]string
}

func dirE(name string) entry { return entry{name: name, typ: tar.TypeDir, mode: 0o755} }
func fileE(name, body string) entry {
	return entry{name: name, typ: tar.TypeReg, mode: 0o644, body: body}
}
func symE(name, target string) entry {
	return entry{name: name, typ: tar.TypeSymlink, link: target, mode: 0o777}
}
func linkE(name, target string) entry { return entry{name: name, typ: tar.TypeLink, link: target} }
func buildTar(t testing.TB, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		hdr := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)),
			Uid: e.uid, Gid: e.gid, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		for k, v := range e.xattrs {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords[paxXattr+k] = v
		}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyBasic(t *testing.T) {
	dir := t.TempDir()
	data := buildTar(t,
		dirE("./etc/"),
		fileE("etc/passwd", "root:x:0:0\n"),
		entry{name: "bin/su", typ: tar.TypeReg, mode: 0o4755, body: "x"},
		entry{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
		symE("bin/sh", "/bin/busybox"),
		linkE("etc/passwd2", "etc/passwd"),
		entry{name: "run/fifo", typ: tar.TypeFifo, mode: 0o600},
		entry{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
		entry{name: "etc/x", typ: tar.TypeReg, mode: 0o600, body: "x", xattrs: map[string]string{"user.k": "v", "trusted.evil": "y"}},
	)
	n, err := Apply(context.Background(), dir, bytes.NewReader(data), ApplyOptions{Whiteouts: WhiteoutApply})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len("root:x:0:0\n")+2) {
		t.Errorf("size = %d", n)
	}
	if got := readFile(t, filepath.Join(dir, "etc/passwd2")); got != "root:x:0:0\n" {
		t.Errorf("hard link content %q", got)
	}
	checks := []struct {
		path string
		mode os.FileMode
	}{
		{"bin/su", os.ModeSetuid | 0o755},
		{"tmp", os.ModeDir | os.ModeSticky | 0o777},
		{"bin/sh", os.ModeSymlink | 0o777},
		{"run/fifo", os.ModeNamedPipe | 0o600},
	}
	for _, c := range checks {
		fi, err := os.Lstat(filepath.Join(dir, c.path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.mode {
			t.Errorf("%s mode = %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "dev/null")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("device node created: %v", err)
	}
	fi, _ := os.Stat(filepath.Join(dir, "etc"))
	if !fi.ModTime().Equal(time.Unix(1700000000, 0)) {
		t.Errorf("dir mtime %v", fi.ModTime())
	}
	buf := make([]byte, 8)
	if n, err := unix.Lgetxattr(filepath.Join(dir, "etc/x"), "user.k", buf); err == nil && string(buf[:n]) != "v" {
		t.Errorf("xattr = %q", buf[:n])
	}
	if _, err := unix.Lgetxattr(filepath.Join(dir, "etc/x"), "trusted.evil", buf); err == nil {
		t.Error("trusted xattr applied")
	}
}

func TestApplyOwnership(t *testing.T) {
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	data := buildTar(t, entry{name: "f", typ: tar.TypeReg, mode: 0o2755, uid: 1000, gid: 1001, body: "x"})
	if _, err := Apply(context.Background(), dir, bytes.NewReader(data), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "f"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Gid != 1001 || st.Mode&0o7777 != 0o2755 {
		t.Errorf("uid=%d gid=%d mode=%o", st.Uid, st.Gid, st.Mode&0o7777)
	}
}

func TestApplyWhiteouts(t *testing.T) {
	testutil.RequiresRoot(t) // whiteout devices and trusted xattrs
	lower := buildTar(t, dirE("a/"), fileE("a/keep", "1"), fileE("a/gone", "2"), dirE("o/"), fileE("o/old", "3"))
	upper := buildTar(t, fileE("a/.wh.gone", ""), dirE("o/"), fileE("o/.wh..wh..opq", ""), fileE("o/new", "4"))

	t.Run("apply", func(t *testing.T) {
		dir := t.TempDir()
		for _, l := range [][]byte{lower, upper} {
			if _, err := Apply(context.Background(), dir, bytes.NewReader(l), ApplyOptions{Whiteouts: WhiteoutApply}); err != nil {
				t.Fatal(err)
			}
		}
		for p, want := range map[string]bool{"a/keep": true, "a/gone": false, "o/old": false, "o/new": true, "a/.wh.gone": false, "o/.wh..wh..opq": false} {
			_, err := os.Lstat(filepath.Join(dir, p))
			if (err == nil) != want {
				t.Errorf("%s exists=%v, want %v", p, err == nil, want)
			}
		}
	})
	t.Run("overlay", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := Apply(context.Background(), dir, bytes.NewReader(upper), ApplyOptions{Whiteouts: WhiteoutOverlay}); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(dir, "a/gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			t.Errorf("whiteout: %v mode=%o rdev=%d", err, st.Mode, st.Rdev)
		}
		if !isOpaque(filepath.Join(dir, "o")) {
			t.Error("o not opaque")
		}
		var buf bytes.Buffer
		if err := Tar(context.Background(), dir, &buf); err != nil {
			t.Fatal(err)
		}
		names := tarNames(t, buf.Bytes())
		for _, want := range []string{"a/.wh.gone", "o/.wh..wh..opq", "o/new"} {
			if !names[want] {
				t.Errorf("Tar of overlay diff lacks %s: %v", want, names)
			}
		}
	})
}

func tarNames(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		names[hdr.Name] = true
	}
	return names
}

// maliciousTars are streams that try to write outside the target.
func maliciousTars(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"dotdot":               buildTar(t, fileE("../escape", "x")),
		"dotdot-deep":          buildTar(t, fileE("a/../../../escape", "x")),
		"absolute":             buildTar(t, fileE("/escape", "x")),
		"symlink-parent":       buildTar(t, symE("l", "../"), fileE("l/escape", "x")),
		"abs-symlink-dir":      buildTar(t, symE("l", "/"), fileE("l/escape", "x")),
		"symlink-nested":       buildTar(t, dirE("d/"), symE("d/l", "../../.."), fileE("d/l/escape", "x")),
		"symlink-file":         buildTar(t, symE("escape-link", "../escape"), fileE("escape-link", "x")),
		"hardlink-out":         buildTar(t, linkE("h", "../sentinel/file")),
		"hardlink-abs":         buildTar(t, linkE("h", "/sentinel/file")),
		"hardlink-via-symlink": buildTar(t, symE("s", "../sentinel"), linkE("h", "s/file")),
		"whiteout-dotdot":      buildTar(t, fileE("../sentinel/.wh.file", "")),
		"whiteout-symlink":     buildTar(t, symE("s", "../sentinel"), fileE("s/.wh.file", "")),
		"opaque-symlink":       buildTar(t, symE("s", "../sentinel"), fileE("s/.wh..wh..opq", "")),
		"dir-then-symlink":     buildTar(t, dirE("d/"), dirE("d/e/"), symE("d", "../sentinel"), fileE("d/e/x", "x")),
		"chmod-through":        buildTar(t, symE("s", "../sentinel/file"), entry{name: "s", typ: tar.TypeDir, mode: 0o777}),
	}
}

func TestApplyRejects(t *testing.T) {
	tests := map[string][]byte{
		"hardlink-missing": buildTar(t, linkE("h", "../sentinel/file")),
		"hardlink-dir":     buildTar(t, dirE("d/"), linkE("h", "d")),
		"hardlink-root":    buildTar(t, linkE("h", "..")),
		"whiteout-dot":     buildTar(t, fileE("d/.wh..", "")),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Apply(context.Background(), t.TempDir(), bytes.NewReader(data), ApplyOptions{Whiteouts: WhiteoutApply})
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("err = %v, want invalid argument", err)
			}
		})
	}
}
