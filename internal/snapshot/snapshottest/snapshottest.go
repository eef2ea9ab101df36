// Package snapshottest is the conformance suite every snapshot.Snapshotter
// passes. Implementations call Run from their own tests. It needs root
// (whiteout devices, mounts) and skips otherwise.
package snapshottest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Run runs the conformance suite; newSnapshotter returns a fresh
// snapshotter over temporary directories for each subtest.
func Run(t *testing.T, newSnapshotter func(t *testing.T) snapshot.Snapshotter) {
	testutil.RequiresRoot(t)
	tests := []struct {
		name string
		fn   func(t *testing.T, s snapshot.Snapshotter)
	}{
		{"BaseLayer", testBaseLayer},
		{"WhiteoutAndOpaque", testWhiteoutAndOpaque},
		{"WritesStayInSnapshot", testWritesStayInSnapshot},
		{"RemoveCleansUp", testRemoveCleansUp},
		{"ApplyExisting", testApplyExisting},
		{"FailedApplyLeavesNothing", testFailedApply},
		{"UnnamedLayer", testUnnamedLayer},
		{"MissingParent", testMissingParent},
		{"EmptyParent", testEmptyParent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newSnapshotter(t)) })
	}
}

// Entry describes one tar entry for layers built by tests.
type Entry struct {
	Name, Body, Link string
	Type             byte
	Mode             int64
}

// Tar builds an uncompressed layer tarball.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.Name, Linkname: e.Link, Typeflag: e.Type, Mode: e.Mode, ModTime: time.Unix(1700000000, 0)}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if hdr.Typeflag == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

func file(name, body string) Entry { return Entry{Name: name, Body: body} }

// ChainID is a test helper naming layers after their content.
func ChainID(data []byte) string { return digest.FromBytes(data).String() }

var (
	base = func(t testing.TB) []byte {
		return Tar(t, dir("etc"), file("etc/hostname", "base\n"), file("etc/gone", "x"),
			dir("opq"), file("opq/old", "old"), dir("keep"), file("keep/a", "a"),
			Entry{Name: "bin/sh", Type: tar.TypeSymlink, Link: "busybox", Mode: 0o777}, file("bin/busybox", "#!"))
	}
	second = func(t testing.TB) []byte {
		return Tar(t, file("etc/.wh.gone", ""), dir("opq"), file("opq/.wh..wh..opq", ""), file("opq/new", "new"),
			file("etc/hostname", "second\n"))
	}
)

func apply(t *testing.T, s snapshot.Snapshotter, chainID, parent string, data []byte) {
	t.Helper()
	if _, err := s.ApplyLayer(context.Background(), chainID, parent, bytes.NewReader(data)); err != nil {
		t.Fatalf("ApplyLayer %s: %v", chainID, err)
	}
}

func prepare(t *testing.T, s snapshot.Snapshotter, key, parent string) string {
	t.Helper()
	rootfs, err := s.Prepare(context.Background(), key, parent)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	t.Cleanup(func() { s.Remove(context.Background(), key) })
	return rootfs
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func testBaseLayer(t *testing.T, s snapshot.Snapshotter) {
	ctx := context.Background()
	data := base(t)
	id := ChainID(data)
	size, err := s.ApplyLayer(ctx, id, "", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len("base\n")+1+3+1+2) {
		t.Errorf("size = %d", size)
	}
	if !s.HasLayer(ctx, id) {
		t.Error("HasLayer = false")
	}
	layers, err := s.Layers(ctx)
	if err != nil || len(layers) != 1 || layers[0] != id {
		t.Errorf("Layers = %v, %v", layers, err)
	}
	rootfs := prepare(t, s, "c1", id)
	if got := readFile(t, filepath.Join(rootfs, "etc/hostname")); got != "base\n" {
		t.Errorf("hostname = %q", got)
	}
	if l, err := os.Readlink(filepath.Join(rootfs, "bin/sh")); err != nil || l != "busybox" {
		t.Errorf("symlink = %q, %v", l, err)
	}
}

func testWhiteoutAndOpaque(t *testing.T, s snapshot.Snapshotter) {
	b, sec := base(t), second(t)
	id1 := ChainID(b)
	id2 := digest.FromString(id1 + " " + ChainID(sec)).String()
	apply(t, s, id1, "", b)
	apply(t, s, id2, id1, sec)
	rootfs := prepare(t, s, "c1", id2)
	want := map[string]bool{"etc/gone": false, "etc/.wh.gone": false, "opq/old": false, "opq/new": true,
		"opq/.wh..wh..opq": false, "keep/a": true, "etc/hostname": true}
	for p, w := range want {
		if got := exists(filepath.Join(rootfs, p)); got != w {
			t.Errorf("%s exists = %v, want %v", p, got, w)
		}
	}
	if got := readFile(t, filepath.Join(rootfs, "etc/hostname")); got != "second\n" {
		t.Errorf("hostname = %q", got)
	}
	// The lower layer alone still shows the deleted files.
	lower := prepare(t, s, "c2", id1)
	if !exists(filepath.Join(lower, "etc/gone")) || !exists(filepath.Join(lower, "opq/old")) {
		t.Error("whiteouts leaked into the parent layer")
	}
}

func testWritesStayInSnapshot(t *testing.T, s snapshot.Snapshotter) {
	data := base(t)
	id := ChainID(data)
	apply(t, s, id, "", data)
	r1 := prepare(t, s, "c1", id)
	if err := os.WriteFile(filepath.Join(r1, "etc/hostname"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(r1, "keep/a")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r1, "new"), []byte("n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := prepare(t, s, "c2", id)
	if got := readFile(t, filepath.Join(r2, "etc/hostname")); got != "base\n" {
		t.Errorf("layer changed through a snapshot: hostname = %q", got)
	}
	if !exists(filepath.Join(r2, "keep/a")) || exists(filepath.Join(r2, "new")) {
		t.Error("layer changed through a snapshot")
	}
	if _, err := s.Prepare(context.Background(), "c1", id); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Errorf("second Prepare: %v", err)
	}
	// Unmount then Mount (as after a reboot) keeps the writes.
	ctx := context.Background()
	if err := s.Unmount(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unmount(ctx, "c1"); err != nil {
		t.Fatalf("second Unmount: %v", err)
	}
	for i := 0; i < 2; i++ {
		r, err := s.Mount(ctx, "c1", id)
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(r, "etc/hostname")); got != "changed" {
			t.Errorf("after remount hostname = %q", got)
		}
	}
}

func testRemoveCleansUp(t *testing.T, s snapshot.Snapshotter) {
	ctx := context.Background()
	data := base(t)
	id := ChainID(data)
	apply(t, s, id, "", data)
	rootfs, err := s.Prepare(ctx, "c1", id)
	if err != nil {
		t.Fatal(err)
	}
	keyDir := filepath.Dir(rootfs)
	if err := s.Remove(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "c1"); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	for _, d := range []string{"upper", "work", "rootfs"} {
		if exists(filepath.Join(keyDir, d)) {
			t.Errorf("%s left after Remove", d)
		}
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), keyDir) {
		t.Errorf("mount under %s left after Remove", keyDir)
	}
	if err := s.RemoveLayer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if s.HasLayer(ctx, id) {
		t.Error("layer still present after RemoveLayer")
	}
	if err := s.RemoveLayer(ctx, id); err != nil {
		t.Errorf("removing an absent layer: %v", err)
	}
}

func testApplyExisting(t *testing.T, s snapshot.Snapshotter) {
	data := base(t)
	id := ChainID(data)
	apply(t, s, id, "", data)
	r := bytes.NewReader(data)
	if _, err := s.ApplyLayer(context.Background(), id, "", r); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Errorf("err = %v, want already exists", err)
	}
	if r.Len() != len(data) {
		t.Error("reader consumed for an existing layer")
	}
}

func testFailedApply(t *testing.T, s snapshot.Snapshotter) {
	ctx := context.Background()
	data := Tar(t, file("a", strings.Repeat("x", 4096)), file("b", "b"))
	truncated := data[:1024]
	id := ChainID(data)
	if _, err := s.ApplyLayer(ctx, id, "", bytes.NewReader(truncated)); err == nil {
		t.Fatal("truncated tar applied without error")
	}
	if s.HasLayer(ctx, id) {
		t.Error("layer present after failed apply")
	}
	if layers, _ := s.Layers(ctx); len(layers) != 0 {
		t.Errorf("Layers = %v", layers)
	}
	if _, _, err := s.ApplyUnnamedLayer(ctx, "", bytes.NewReader(truncated), func() (string, error) { return id, nil }); err == nil {
		t.Error("truncated unnamed layer applied without error")
	}
	if layers, _ := s.Layers(ctx); len(layers) != 0 {
		t.Errorf("Layers = %v", layers)
	}
}

func testUnnamedLayer(t *testing.T, s snapshot.Snapshotter) {
	ctx := context.Background()
	data := base(t)
	h := digest.SHA256.Digester()
	r := teeReader{r: bytes.NewReader(data), w: h}
	name := func() (string, error) { return h.Digest().String(), nil }
	id, size, err := s.ApplyUnnamedLayer(ctx, "", r, name)
	if err != nil {
		t.Fatal(err)
	}
	if id != ChainID(data) || size == 0 {
		t.Errorf("id = %s (want %s), size = %d", id, ChainID(data), size)
	}
	h = digest.SHA256.Digester()
	r = teeReader{r: bytes.NewReader(data), w: h}
	id2, size2, err := s.ApplyUnnamedLayer(ctx, "", r, name)
	if !errors.Is(err, errdefs.ErrAlreadyExists) || id2 != id || size2 != size {
		t.Errorf("second apply: %s %d %v", id2, size2, err)
	}
}

func testMissingParent(t *testing.T, s snapshot.Snapshotter) {
	data := base(t)
	_, err := s.ApplyLayer(context.Background(), ChainID(data), digest.FromString("nope").String(), bytes.NewReader(data))
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("err = %v, want not found", err)
	}
}

func testEmptyParent(t *testing.T, s snapshot.Snapshotter) {
	rootfs := prepare(t, s, "c1", "")
	if err := os.WriteFile(filepath.Join(rootfs, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(rootfs, "f")); got != "x" {
		t.Errorf("got %q", got)
	}
}

type teeReader struct {
	r interface{ Read([]byte) (int, error) }
	w digest.Digester
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Hash().Write(p[:n])
	return n, err
}
