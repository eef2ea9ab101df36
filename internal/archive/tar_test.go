package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestTarRoundTrip(t *testing.T) {
	src := t.TempDir()
	data := buildTar(t,
		dirE("d/"), fileE("d/f", "hello"), symE("d/s", "/etc/passwd"), linkE("d/h", "d/f"),
		entry{name: "x", typ: tar.TypeReg, mode: 0o4711, body: "y"},
	)
	if _, err := Apply(context.Background(), src, bytes.NewReader(data), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Tar(context.Background(), src, &buf); err != nil {
		t.Fatal(err)
	}
	// Directories come before their content.
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		if d := filepath.Dir(filepath.Clean(hdr.Name)); d != "." && !seen[d+"/"] {
			t.Errorf("%s before its directory", hdr.Name)
		}
		seen[hdr.Name] = true
	}
	dst := t.TempDir()
	if _, err := Apply(context.Background(), dst, bytes.NewReader(buf.Bytes()), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if a, b := snapshotTree(t, src), snapshotTree(t, dst); a != stripRoot(b, dst, src) {
		t.Errorf("round trip differs:\n%s\n%s", a, b)
	}
	fi1, _ := os.Stat(filepath.Join(dst, "d/f"))
	fi2, _ := os.Stat(filepath.Join(dst, "d/h"))
	if !os.SameFile(fi1, fi2) {
		t.Error("hard link not preserved")
	}
}

func stripRoot(s, from, to string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(from), []byte(to)))
}
