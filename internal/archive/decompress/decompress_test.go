package decompress

import (
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// plain is what the tests compress: a tar stream is just bytes here.
var plain = bytes.Repeat([]byte("hello world\n"), 1000)

func TestStream(t *testing.T) {
	compress := map[string]func(t *testing.T) []byte{
		"plain": func(t *testing.T) []byte { return plain },
		"gzip": func(t *testing.T) []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(plain)
			w.Close()
			return b.Bytes()
		},
		"zstd": func(t *testing.T) []byte {
			var b bytes.Buffer
			w, _ := zstd.NewWriter(&b)
			w.Write(plain)
			w.Close()
			return b.Bytes()
		},
		"xz":    func(t *testing.T) []byte { return run(t, "xz", "-c") },
		"bzip2": func(t *testing.T) []byte { return run(t, "bzip2", "-c") },
		"empty": func(t *testing.T) []byte { return nil },
	}
	for name, fn := range compress {
		t.Run(name, func(t *testing.T) {
			in := fn(t)
			if name != "plain" && name != "empty" && bytes.Equal(in, plain) {
				t.Fatal("not compressed")
			}
			rc, err := Stream(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			want := plain
			if name == "empty" {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skip(name + " not installed")
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(plain)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestXzCorrupt(t *testing.T) {
	in := run(t, "xz", "-c")
	in[len(in)/2] ^= 0xff
	rc, err := Stream(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); err == nil {
		t.Error("corrupt xz read without error")
	}
}
