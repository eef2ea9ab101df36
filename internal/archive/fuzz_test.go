package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// snapshotTree describes every entry under dir (mode, size, link target,
// mtime, content hash) so any change is detected.
func snapshotTree(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v %d %d", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			line += " -> " + l
		} else if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return fmt.Sprint(lines)
}

// setupSentinel makes base/{sentinel/file, target/} and returns target.
func setupSentinel(t testing.TB) (base, target string) {
	base = t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "sentinel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "sentinel", "file"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	target = filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	return base, target
}

// checkContained applies data into target and fails if anything outside
// target changed, whatever Apply returned.
func checkContained(t testing.TB, data []byte, mode WhiteoutMode) error {
	base, target := setupSentinel(t)
	before := snapshotTree(t, filepath.Join(base, "sentinel"))
	entries, _ := os.ReadDir(base)
	_, err := Apply(context.Background(), target, bytes.NewReader(data), ApplyOptions{Whiteouts: mode})
	if after := snapshotTree(t, filepath.Join(base, "sentinel")); after != before {
		t.Fatalf("sentinel changed:\nbefore %s\nafter  %s", before, after)
	}
	if after, _ := os.ReadDir(base); len(after) != len(entries) {
		t.Fatalf("entries created next to target: %v", after)
	}
	if _, serr := os.Lstat("/escape"); serr == nil {
		t.Fatal("/escape created")
	}
	return err
}

func TestApplyMalicious(t *testing.T) {
	for name, data := range maliciousTars(t) {
		for _, mode := range []WhiteoutMode{WhiteoutApply, WhiteoutOverlay} {
			t.Run(fmt.Sprintf("%s/%d", name, mode), func(t *testing.T) {
				if mode == WhiteoutOverlay && os.Geteuid() != 0 {
					t.Skip("overlay whiteouts need root")
				}
				err := checkContained(t, data, mode)
				t.Logf("Apply: %v", err)
			})
		}
	}
}

func FuzzApply(f *testing.F) {
	for _, data := range maliciousTars(f) {
		f.Add(data, false)
	}
	f.Add(buildTar(f, dirE("a/"), fileE("a/b", "x"), symE("a/c", "b"), linkE("a/d", "a/b")), true)
	f.Fuzz(func(t *testing.T, data []byte, overlay bool) {
		mode := WhiteoutApply
		if overlay && os.Geteuid() == 0 {
			mode = WhiteoutOverlay
		}
		_ = checkContained(t, data, mode)
	})
}
