package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
)

// fakeBackend keeps images in memory and "runs" containers by recording
// their commands; exit codes come from exit.
type fakeBackend struct {
	mu     sync.Mutex
	images map[string]*image.Image
	tags   map[string]string
	live   map[string]*ctr.Config
	ran    []string
	put    []string
	n      int
	exit   func(cmd string) int
	run    func(cmd string) // called (unlocked) as a container runs
}

func newFake() *fakeBackend {
	f := &fakeBackend{images: map[string]*image.Image{}, tags: map[string]string{}, live: map[string]*ctr.Config{}}
	base := &image.Image{ID: digest.FromString("busybox")}
	base.Config.Config = dockerspec.DockerOCIImageConfig{}
	base.Config.Config.Cmd = []string{"sh"}
	f.images[base.ID.String()] = base
	f.tags["busybox"] = base.ID.String()
	return f
}

func (f *fakeBackend) Image(_ context.Context, ref string) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.tags[ref]; ok {
		ref = id
	}
	if img, ok := f.images[ref]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("No such image: %s: %w", ref, errdefs.ErrNotFound)
}

func (f *fakeBackend) Child(_ context.Context, opts image.ChildOptions) (*image.Image, error) {
	var size int64
	if opts.Layer != nil {
		n, err := io.Copy(io.Discard, opts.Layer)
		if err != nil {
			return nil, err
		}
		size = n
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	img := &image.Image{ID: digest.FromString(fmt.Sprint("image", f.n)), Parent: opts.Parent, Size: size}
	if p, ok := f.images[opts.Parent.String()]; ok {
		img.Size += p.Size
	}
	img.Config.Config = opts.Config
	img.Config.Author = opts.Author
	f.images[img.ID.String()] = img
	return img, nil
}

func (f *fakeBackend) Tag(_ context.Context, id, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags[ref] = id
	f.images[id].RepoTags = append(f.images[id].RepoTags, ref)
	return nil
}

func (f *fakeBackend) DeleteImage(_ context.Context, id string) (bool, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[id]
	if !ok || len(img.RepoTags) > 0 {
		return false, 0, nil
	}
	delete(f.images, id)
	return true, img.Size, nil
}

func (f *fakeBackend) Pull(_ context.Context, ref string, _ registry.AuthConfig, _ func(jsonstream.Message)) (*image.Image, error) {
	return nil, fmt.Errorf("pull %s: %w", ref, errdefs.ErrNotFound)
}

func (f *fakeBackend) Create(_ context.Context, cfg *ctr.Config, _ *ctr.HostConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := digest.FromString(fmt.Sprint("container", f.n)).Encoded()
	f.live[id] = cfg
	return id, nil
}

func (f *fakeBackend) Run(_ context.Context, id string, out io.Writer) (int, error) {
	f.mu.Lock()
	cmd := strings.Join(f.live[id].Cmd, " ")
	f.ran = append(f.ran, cmd)
	f.mu.Unlock()
	if f.run != nil {
		f.run(cmd)
	}
	fmt.Fprintf(out, "ran %s\n", cmd)
	if f.exit != nil {
		return f.exit(cmd), nil
	}
	return 0, nil
}

func (f *fakeBackend) Put(_ context.Context, _ string, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.put = append(f.put, hdr.Name)
		f.mu.Unlock()
	}
}

func (f *fakeBackend) Get(context.Context, string, string, io.Writer) (ctr.PathStat, error) {
	return ctr.PathStat{}, errdefs.ErrNotFound
}

func (f *fakeBackend) Stat(context.Context, string, string) (ctr.PathStat, error) {
	return ctr.PathStat{}, errdefs.ErrNotFound
}

func (f *fakeBackend) Changes(_ context.Context, _ string, w io.Writer) error {
	return tar.NewWriter(w).Close()
}

func (f *fakeBackend) Remove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, id)
	return nil
}

type memCache map[string]Entry

var memMu sync.Mutex

func (m memCache) Lookup(k string) (digest.Digest, bool) {
	memMu.Lock()
	defer memMu.Unlock()
	e, ok := m[k]
	return e.ID, ok
}

func (m memCache) Store(k string, id digest.Digest) error {
	memMu.Lock()
	defer memMu.Unlock()
	m[k] = Entry{ID: id, Used: time.Now()}
	return nil
}

func (m memCache) Touch(keys []string) error {
	memMu.Lock()
	defer memMu.Unlock()
	for _, k := range keys {
		if e, ok := m[k]; ok {
			e.Used = time.Now()
			m[k] = e
		}
	}
	return nil
}

func (m memCache) Entries() (map[string]Entry, error) {
	memMu.Lock()
	defer memMu.Unlock()
	return maps.Clone(m), nil
}

func (m memCache) Forget(keys []string) error {
	memMu.Lock()
	defer memMu.Unlock()
	for _, k := range keys {
		delete(m, k)
	}
	return nil
}

type textOutput struct {
	mu  sync.Mutex
	buf strings.Builder
	id  string
}

func (o *textOutput) Stream(s string)               { o.mu.Lock(); o.buf.WriteString(s); o.mu.Unlock() }
func (o *textOutput) Aux(id string)                 { o.id = id }
func (o *textOutput) Progress(m jsonstream.Message) {}

func contextTar(t *testing.T, files map[string]string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(data))
	}
	_ = tw.Close()
	return &buf
}

func fakeBuild(t *testing.T, f *fakeBackend, cache Cache, files map[string]string, opts Options, bopts ...Option) (*image.Image, string, error) {
	t.Helper()
	out := &textOutput{}
	img, err := New(f, cache, t.TempDir(), bopts...).Build(context.Background(), contextTar(t, files), opts, out)
	return img, out.buf.String(), err
}
