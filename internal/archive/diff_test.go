package archive

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestDiff(t *testing.T) {
	layer := buildTar(t, dirE("d/"), fileE("d/keep", "same"), fileE("d/edit", "old"), fileE("d/gone", "x"),
		dirE("dir/"), fileE("dir/f", "y"), fileE("top", "t"), symE("link", "top"), dirE("proc/"))
	base, changed := t.TempDir(), t.TempDir()
	for _, dir := range []string{base, changed} {
		if _, err := Apply(context.Background(), dir, bytes.NewReader(layer), ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(changed, "d/edit"), []byte("new content"), 0o644))
	must(os.Remove(filepath.Join(changed, "d/gone")))
	must(os.RemoveAll(filepath.Join(changed, "dir")))
	must(os.WriteFile(filepath.Join(changed, "added"), []byte("a"), 0o644))
	must(os.Chmod(filepath.Join(changed, "top"), 0o600))
	must(os.Remove(filepath.Join(changed, "link")))
	must(os.Symlink("elsewhere", filepath.Join(changed, "link")))
	must(os.WriteFile(filepath.Join(changed, "proc/stub"), []byte("s"), 0o644))

	var buf bytes.Buffer
	skip := func(name string) bool { return name == "proc" }
	must(Diff(context.Background(), base, changed, &buf, skip))
	names := tarNames(t, buf.Bytes())
	tests := []struct {
		name string
		want bool
	}{
		{"d/edit", true}, {"d/.wh.gone", true}, {".wh.dir", true}, {"added", true}, {"top", true}, {"link", true},
		{"d/keep", false}, {"dir/f", false}, {"dir/.wh.f", false}, {"proc/", false}, {"proc/stub", false},
	}
	for _, tc := range tests {
		if got := names[tc.name]; got != tc.want {
			t.Errorf("%s in diff = %v, want %v (diff: %v)", tc.name, got, tc.want, names)
		}
	}
	// Applying the diff to a copy of base reproduces changed.
	out := t.TempDir()
	_, err := Apply(context.Background(), out, bytes.NewReader(layer), ApplyOptions{})
	must(err)
	_, err = Apply(context.Background(), out, bytes.NewReader(buf.Bytes()), ApplyOptions{Whiteouts: WhiteoutApply})
	must(err)
	if b, err := os.ReadFile(filepath.Join(out, "d/edit")); err != nil || string(b) != "new content" {
		t.Errorf("d/edit after apply: %q %v", b, err)
	}
	for _, gone := range []string{"d/gone", "dir"} {
		if _, err := os.Lstat(filepath.Join(out, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after apply: %v", gone, err)
		}
	}
}

func TestTarFilteredSkips(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/b", "skip/x", "c"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := TarFiltered(context.Background(), dir, &buf, func(n string) bool { return n == "skip" || n == "c" }); err != nil {
		t.Fatal(err)
	}
	if got := tarNames(t, buf.Bytes()); len(got) != 2 || !got["a/"] || !got["a/b"] {
		t.Errorf("entries %v, want [a/ a/b]", got)
	}
}
