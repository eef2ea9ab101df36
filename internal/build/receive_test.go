package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// entry is a tar entry for the receive tests.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	mtime            int64
}

func streamOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, ModTime: time.Unix(1700000000+e.mtime, 0)}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(e.body))
	}
	_ = tw.Close()
	return buf.Bytes()
}

// tree describes a directory: every entry's type, mode, mtime and content
// or link target.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		desc := fmt.Sprintf("%v %d", fi.Mode(), fi.ModTime().Unix())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			desc += " " + string(b)
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestReceiveRejects: names and links that would leave the context, or go
// through a symlink or file of the stream, are refused; nothing is
// written outside the directory.
func TestReceiveRejects(t *testing.T) {
	outside := t.TempDir()
	cases := []struct {
		name    string
		entries []entry
	}{
		{"dotdot", []entry{{name: "../escape", body: "x"}}},
		{"dotdot inside", []entry{{name: "a/../../escape", body: "x"}}},
		{"through symlink", []entry{{name: "a", typ: tar.TypeSymlink, link: outside}, {name: "a/escape", body: "x"}}},
		{"through file", []entry{{name: "f", body: "x"}, {name: "f/escape", body: "x"}}},
		{"hard link outside", []entry{{name: "l", typ: tar.TypeLink, link: "../escape"}}},
		{"hard link to missing", []entry{{name: "l", typ: tar.TypeLink, link: "nothere"}}},
		{"hard link to symlink", []entry{{name: "s", typ: tar.TypeSymlink, link: outside + "/escape"}, {name: "l", typ: tar.TypeLink, link: "s"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := New(nil, nil, t.TempDir())
			dir, err := b.unpack(context.Background(), bytes.NewReader(streamOf(t, tc.entries...)))
			defer b.release(dir)
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("err = %v, want invalid argument", err)
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 0 {
				t.Errorf("written outside: %v", ents)
			}
		})
	}
}

// TestReceiveSums: the digests recorded while receiving are the files'
// SHA-256, and the COPY checksum from them equals the one read from disk.
func TestReceiveSums(t *testing.T) {
	b := New(nil, nil, t.TempDir())
	raw := streamOf(t, entry{name: "d/", typ: tar.TypeDir, mode: 0o755}, entry{name: "d/a", body: "alpha"},
		entry{name: "d/big", body: strings.Repeat("b", maxBuffered+10)}, entry{name: "d/l", typ: tar.TypeLink, link: "d/a"},
		entry{name: "d/s", typ: tar.TypeSymlink, link: "a"})
	dir, err := b.unpack(context.Background(), bytes.NewReader(raw))
	defer b.release(dir)
	if err != nil {
		t.Fatal(err)
	}
	sums := b.sumsOf(dir)
	for _, name := range []string{"d/a", "d/big", "d/l"} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		if sums[filepath.Join(dir, name)] != sha256.Sum256(data) {
			t.Errorf("%s: wrong digest", name)
		}
	}
	src := []source{{rel: "d", host: filepath.Join(dir, "d"), isDir: true}}
	fast, err1 := checksumWith(src, sums)
	slow, err2 := checksum(src)
	if err1 != nil || err2 != nil || fast != slow {
		t.Errorf("checksum with digests %s (%v), read %s (%v)", fast, err1, slow, err2)
	}
}

// TestReceiveReuse: with a context cache, the next context is received
// into the last one; the result is exactly what a fresh directory gets,
// unchanged files are not written again, and a changed file of the same
// size and mtime is noticed.
func TestReceiveReuse(t *testing.T) {
	big := strings.Repeat("z", compareAbove+100) // compared, not hashed
	first := []entry{
		{name: "keep", body: "same"},
		{name: "bigkeep", body: big},
		{name: "bigedit", body: big + "1"},
		{name: "edit", body: "v1"},
		{name: "mode", body: "m"},
		{name: "gone", body: "bye"},
		{name: "link", typ: tar.TypeSymlink, link: "keep"},
		{name: "dir2file/", typ: tar.TypeDir, mode: 0o755},
		{name: "dir2file/inner", body: "i"},
		{name: "file2dir", body: "f"},
		{name: "sub/", typ: tar.TypeDir, mode: 0o700},
		{name: "sub/x", body: "x"},
	}
	second := []entry{
		{name: "keep", body: "same"},
		{name: "bigkeep", body: big},
		{name: "bigedit", body: big + "2"},
		{name: "edit", body: "v2"}, // same size and mtime, other content
		{name: "mode", body: "m", mode: 0o755, mtime: 5},
		{name: "new", body: "fresh"},
		{name: "link", typ: tar.TypeSymlink, link: "edit"},
		{name: "dir2file", body: "now a file"},
		{name: "file2dir/", typ: tar.TypeDir, mode: 0o755},
		{name: "file2dir/inner", body: "now in a dir"},
		{name: "sub/", typ: tar.TypeDir, mode: 0o750},
		{name: "sub/x", body: "x"},
	}
	fresh := New(nil, nil, t.TempDir())
	want, err := fresh.unpack(context.Background(), bytes.NewReader(streamOf(t, second...)))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.release(want)

	b := New(nil, nil, t.TempDir(), WithContextCache(t.TempDir()))
	dir, err := b.unpack(context.Background(), bytes.NewReader(streamOf(t, first...)))
	if err != nil {
		t.Fatal(err)
	}
	keepIno, bigIno := inode(t, filepath.Join(dir, "keep")), inode(t, filepath.Join(dir, "bigkeep"))
	b.release(dir)
	again, err := b.unpack(context.Background(), bytes.NewReader(streamOf(t, second...)))
	if err != nil {
		t.Fatal(err)
	}
	if again != dir {
		t.Fatalf("second context in %s, not in the cache's %s", again, dir)
	}
	got, exp := tree(t, again), tree(t, want)
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(exp)) {
		t.Errorf("reused tree differs from a fresh one:\ngot  %v\nwant %v", sorted(got), sorted(exp))
	}
	if inode(t, filepath.Join(again, "keep")) != keepIno || inode(t, filepath.Join(again, "bigkeep")) != bigIno {
		t.Errorf("an unchanged file was written again")
	}
	sums := b.sumsOf(again)
	for name, body := range map[string]string{"edit": "v2", "bigedit": big + "2", "bigkeep": big} {
		if sums[filepath.Join(again, name)] != sha256.Sum256([]byte(body)) {
			t.Errorf("digest of %s wrong", name)
		}
	}
	// A build already using the cache makes the next one use a new directory.
	other, err := b.unpack(context.Background(), bytes.NewReader(streamOf(t, first...)))
	if err != nil || other == again {
		t.Fatalf("concurrent context in %s (%v)", other, err)
	}
	b.release(other)
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a context outside the cache was not removed: %v", err)
	}
	b.release(again)
	// A stream that fails leaves the cache empty, not half-updated.
	bad := append(streamOf(t, second...)[:512], bytes.Repeat([]byte{1}, 700)...)
	failed, err := b.unpack(context.Background(), bytes.NewReader(bad))
	if err == nil {
		t.Fatal("a corrupt stream was received")
	}
	b.release(failed)
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("cache holds %d entries after a failed stream", len(ents))
	}
	if again, err := b.unpack(context.Background(), bytes.NewReader(streamOf(t, second...))); err != nil || again != dir {
		t.Errorf("after a failure: context in %s (%v), want the cache's", again, err)
	}
}

func sorted(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+": "+v)
	}
	sort.Strings(out)
	return out
}

// TestReceiveTreeChecksum: the COPY checksum from the recorded entries is
// the one computed by walking the files, for whole trees, subtrees, files,
// names whose order depends on the separator, symlinks, hard links, odd
// modes and directories the stream only implies.
func TestReceiveTreeChecksum(t *testing.T) {
	b := New(nil, nil, t.TempDir(), WithContextCache(t.TempDir()))
	raw := streamOf(t,
		entry{name: "a/", typ: tar.TypeDir, mode: 0o750},
		entry{name: "a/b", body: "b"},
		entry{name: "a.txt", body: "a", mode: 0o600},
		entry{name: "a-b/c", body: "implied parent"},
		entry{name: "a/s", typ: tar.TypeSymlink, link: "../a.txt"},
		entry{name: "a/h", typ: tar.TypeLink, link: "a/b"},
		entry{name: "x/", typ: tar.TypeDir, mode: 0o2775},
		entry{name: "x/run", body: "#!/bin/sh\n", mode: 0o4755},
		entry{name: "empty/", typ: tar.TypeDir, mode: 0o755})
	for round := range 2 { // fresh, then received into the cache
		dir, err := b.unpack(context.Background(), bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		b.ctxs.mu.Lock()
		r := b.ctxs.running[dir]
		b.ctxs.mu.Unlock()
		data := "heredoc text"
		for _, srcs := range [][]source{
			{{rel: ".", host: dir, isDir: true}},
			{{rel: "a", host: filepath.Join(dir, "a"), isDir: true}},
			{{rel: "a.txt", host: filepath.Join(dir, "a.txt")}, {rel: "x", host: filepath.Join(dir, "x"), isDir: true}},
			{{rel: "a-b", host: filepath.Join(dir, "a-b"), isDir: true}, {rel: "h", data: &data}},
			{{rel: "empty", host: filepath.Join(dir, "empty"), isDir: true}},
		} {
			fast, ok := r.checksum(srcs)
			slow, err := checksum(srcs)
			if !ok || err != nil || fast != slow {
				t.Errorf("round %d, %s: from entries %s (%v), from files %s (%v)", round, srcs[0].rel, fast, ok, slow, err)
			}
		}
		b.release(dir)
	}
}

// TestReceiveCacheSpill: a context too large for the cache's memory moves
// to disk; the cache is free again afterwards and nothing stays in memory.
func TestReceiveCacheSpill(t *testing.T) {
	testutil.RequiresRoot(t)
	root := t.TempDir()
	mem := filepath.Join(root, "mem")
	if err := os.Mkdir(mem, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mem, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mem, unix.MNT_DETACH) })
	b := New(nil, nil, filepath.Join(root, "build"), WithContextCache(mem))
	huge, big := strings.Repeat("y", maxBuffered+1), strings.Repeat("x", 2<<20) // moves mid-file; written whole
	stream := streamOf(t, entry{name: "small", body: "s"}, entry{name: "huge", body: huge}, entry{name: "big", body: big})
	dir, err := b.unpack(context.Background(), bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(dir, mem+"/") {
		t.Errorf("a context larger than memory stayed there: %s", dir)
	}
	sums := b.sumsOf(dir)
	for name, body := range map[string]string{"small": "s", "huge": huge, "big": big} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(data) != body || sums[filepath.Join(dir, name)] != sha256.Sum256(data) {
			t.Errorf("%s: %d bytes (%v), digest recorded: %v", name, len(data), err, sums[filepath.Join(dir, name)] == sha256.Sum256(data))
		}
	}
	b.release(dir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("spilled context not removed")
	}
	small, err := b.unpack(context.Background(), bytes.NewReader(streamOf(t, entry{name: "f", body: "f"})))
	if err != nil || !strings.HasPrefix(small, mem+"/") {
		t.Errorf("after a spill the cache is not used: %s %v", small, err)
	}
	b.release(small)
	b.ctxs.empty()
	if ents, _ := os.ReadDir(filepath.Join(mem, "context")); len(ents) != 0 {
		t.Errorf("cache not emptied: %d entries", len(ents))
	}
}

// FuzzReceive: any stream, received fresh or into the context cache,
// fails or succeeds without writing outside its directory, and what it
// records matches what it wrote.
func FuzzReceive(f *testing.F) {
	f.Add(streamOf(f, entry{name: "a/", typ: tar.TypeDir}, entry{name: "a/b", body: "b"}, entry{name: "l", typ: tar.TypeLink, link: "a/b"}))
	f.Add(streamOf(f, entry{name: "s", typ: tar.TypeSymlink, link: "/"}, entry{name: "s/x", body: "x"}))
	f.Add(streamOf(f, entry{name: "../x", body: "x"}))
	outside := f.TempDir()
	b := New(nil, nil, f.TempDir(), WithContextCache(f.TempDir()))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir, err := b.unpack(context.Background(), bytes.NewReader(raw))
		defer b.release(dir)
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("written outside: %v", ents)
		}
		if err != nil {
			if dir != "" {
				t.Fatalf("failed receive returned %s", dir)
			}
			return
		}
		for p, sum := range b.sumsOf(dir) {
			data, err := os.ReadFile(p)
			if err != nil || sha256.Sum256(data) != sum {
				t.Fatalf("%s: recorded digest does not match (%v)", p, err)
			}
		}
	})
}
