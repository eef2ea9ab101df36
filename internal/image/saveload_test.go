package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "one:v1"})
		b := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "example.com/two", Message: "second"})
		var buf bytes.Buffer
		if err := e.svc.Save(ctx, []string{"one:v1", "example.com/two:latest", a.ID.String()}, &buf); err != nil {
			t.Fatal(err)
		}
		var ms []archiveManifest
		if err := json.Unmarshal(tarFile(t, buf.Bytes(), "manifest.json"), &ms); err != nil || len(ms) != 2 {
			t.Fatalf("manifest.json: %v %+v", err, ms)
		}
		// A third-party reader (ggcr's docker-archive reader) accepts it.
		tag, _ := name.NewTag("example.com/two:latest")
		if img, err := tarball.Image(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }, &tag); err != nil {
			t.Fatal(err)
		} else if cn, _ := img.ConfigName(); cn.String() != b.ID.String() {
			t.Errorf("ggcr read config %s", cn)
		}
		for _, id := range []string{a.ID.String(), b.ID.String()} {
			if _, err := e.svc.Delete(ctx, id, DeleteOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
		}
		e.assertEmpty(t)
		var rec recorder
		if err := e.svc.Load(ctx, bytes.NewReader(buf.Bytes()), rec.fn); err != nil {
			t.Fatal(err)
		}
		if !rec.hasStream("Loaded image: one:v1\n") || !rec.hasStream("Loaded image: example.com/two:latest\n") {
			t.Errorf("load output %+v", rec.msgs)
		}
		got, err := e.svc.Get(ctx, "one:v1")
		if err != nil || got.ID != a.ID || !slices.Equal(got.DiffIDs, a.DiffIDs) {
			t.Fatalf("loaded %v %v", got, err)
		}
		if got2, err := e.svc.Get(ctx, "example.com/two"); err != nil || got2.ID != b.ID {
			t.Fatalf("loaded two %v %v", got2, err)
		}
		// OCI layout written by ggcr.
		dir := t.TempDir()
		l, _ := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(testutil.BusyboxTar(t))), nil })
		img, _ := mutate.AppendLayers(empty.Image, l)
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"io.containerd.image.name": "docker.io/library/ocitest:1"})); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Load(ctx, tarDir(t, dir), nil); err != nil {
			t.Fatal(err)
		}
		oci, err := e.svc.Get(ctx, "ocitest:1")
		if cn, _ := img.ConfigName(); err != nil || oci.ID.String() != cn.String() {
			t.Fatalf("oci load: %v %v", oci, err)
		}
		for _, id := range []string{a.ID.String(), b.ID.String(), oci.ID.String()} {
			e.svc.Delete(ctx, id, DeleteOptions{Force: true})
		}
		e.assertEmpty(t)
	})
}

func TestLoadBadArchives(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "one:v1"})
		var buf bytes.Buffer
		if err := e.svc.Save(ctx, []string{"one:v1"}, &buf); err != nil {
			t.Fatal(err)
		}
		e.svc.Delete(ctx, a.ID.String(), DeleteOptions{Force: true})
		good := buf.Bytes()
		cases := map[string][]byte{
			"truncated":   good[:len(good)/2],
			"garbage":     []byte("this is not a tar archive at all, not even close........................"),
			"no manifest": tarOf(t, map[string][]byte{"x": []byte("y")}),
			"bad layer":   replaceLayer(t, good),
		}
		for n, data := range cases {
			if err := e.svc.Load(ctx, bytes.NewReader(data), nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%s: %v", n, err)
			}
			e.assertEmpty(t)
		}
	})
}

func (r *recorder) hasStream(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if m.Stream == s {
			return true
		}
	}
	return false
}

func tarFile(t *testing.T, data []byte, name string) []byte {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in archive: %v", name, err)
		}
		if h.Name == name {
			b, _ := io.ReadAll(tr)
			return b
		}
	}
}

func tarOf(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, b := range files {
		tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
		tw.Write(b)
	}
	tw.Close()
	return buf.Bytes()
}

// replaceLayer swaps every layer.tar for a different valid tar.
func replaceLayer(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(data))
	other := tarOf(t, map[string][]byte{"evil": []byte("x")})
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		if len(h.Name) > 10 && h.Name[len(h.Name)-9:] == "layer.tar" {
			b = other
			h.Size = int64(len(b))
		}
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	return buf.Bytes()
}

func tarDir(t *testing.T, dir string) io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.AddFS(osDirFS(dir)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	return &buf
}

func osDirFS(dir string) fs.FS { return os.DirFS(dir) }
