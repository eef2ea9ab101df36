package container

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

func TestSplitCpArg(t *testing.T) {
	tests := []struct{ in, ctr, path string }{
		{"box:/etc/passwd", "box", "/etc/passwd"},
		{"box:rel", "box", "rel"},
		{"/abs/with:colon", "", "/abs/with:colon"},
		{"./local:x", "", "./local:x"},
		{"plain", "", "plain"},
		{"-", "", "-"},
	}
	for _, tt := range tests {
		if c, p := splitCpArg(tt.in); c != tt.ctr || p != tt.path {
			t.Errorf("%q: got %q %q", tt.in, c, p)
		}
	}
}

func TestRebaseTar(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"data/", "data/f", "database", "./data/g"} {
		typ := byte(tar.TypeReg)
		if name == "data/" {
			typ = tar.TypeDir
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: typ, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	tr := tar.NewReader(rebaseTar(&buf, "data", "new"))
	var got []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, hdr.Name)
	}
	if want := []string{"new/", "new/f", "database", "new/g"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
