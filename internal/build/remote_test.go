package build

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseGitURL(t *testing.T) {
	tests := []struct {
		in     string
		git    bool
		want   gitRef
		reject bool
	}{
		{in: "https://example.com/r.git", git: true, want: gitRef{url: "https://example.com/r.git"}},
		{in: "https://example.com/r.git#v1:sub/dir", git: true, want: gitRef{url: "https://example.com/r.git", ref: "v1", subdir: "sub/dir"}},
		{in: "https://example.com/r.git#:../../etc", git: true, want: gitRef{url: "https://example.com/r.git", subdir: "etc"}},
		{in: "git://127.0.0.1/r#main", git: true, want: gitRef{url: "git://127.0.0.1/r", ref: "main"}},
		{in: "git@github.com:o/r.git#dev", git: true, want: gitRef{url: "git@github.com:o/r.git", ref: "dev"}},
		{in: "github.com/o/r", git: true, want: gitRef{url: "https://github.com/o/r"}},
		{in: "https://example.com/ctx.tar.gz", git: false},
		{in: "ctx/dir", git: false},
		{in: "https://example.com/r.git#--upload-pack=x", git: true, reject: true},
		{in: "https://example.com/r.git#a..b", git: true, reject: true},
	}
	for _, tc := range tests {
		if got := isGitURL(tc.in); got != tc.git {
			t.Errorf("isGitURL(%q) = %v", tc.in, got)
		}
		if !tc.git {
			continue
		}
		g, err := parseGitURL(tc.in)
		if tc.reject {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("parseGitURL(%q): err %v, want invalid argument", tc.in, err)
			}
			continue
		}
		if err != nil || g != tc.want {
			t.Errorf("parseGitURL(%q) = %+v, %v; want %+v", tc.in, g, err, tc.want)
		}
	}
}

func TestParsePlatform(t *testing.T) {
	tests := []struct{ in, want string }{
		{"linux/amd64", "linux/amd64"},
		{"LINUX/X86_64", "linux/amd64"},
		{"linux/amd64/v1", "linux/amd64"},
		{"linux/amd64/v3", "linux/amd64/v3"},
		{"linux/aarch64", "linux/arm64"},
		{"linux/arm64/v8", "linux/arm64"},
		{"linux/armhf", "linux/arm/v7"},
		{"linux/arm", "linux/arm/v7"},
		{"linux/i686", "linux/386"},
		{"arm64", "linux/arm64"},
		{"windows/amd64", "windows/amd64"},
	}
	for _, tc := range tests {
		p, err := parsePlatform(tc.in)
		if err != nil || formatPlatform(p) != tc.want {
			t.Errorf("parsePlatform(%q) = %s, %v; want %s", tc.in, formatPlatform(p), err, tc.want)
		}
	}
	for _, bad := range []string{"", "linux/", "a/b/c/d", "linux/amd 64"} {
		if _, err := parsePlatform(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("parsePlatform(%q): err %v", bad, err)
		}
	}
	host := formatPlatform(hostPlatform())
	if _, err := targetPlatform(host); err != nil {
		t.Errorf("host platform %s refused: %v", host, err)
	}
	for _, foreign := range []string{"windows/" + hostPlatform().Architecture, "linux/s390x"} {
		if _, err := targetPlatform(foreign); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("targetPlatform(%q): err %v", foreign, err)
		}
	}
	args := strings.Join(platformArgs(""), " ")
	if !strings.Contains(args, "TARGETPLATFORM="+host) || !strings.Contains(args, "BUILDOS=linux") {
		t.Errorf("platform args: %s", args)
	}
}

func TestSniffRemoteContext(t *testing.T) {
	tests := []struct{ ct, body, want string }{
		{"text/plain; charset=utf-8", "FROM busybox\n", "text/plain"},
		{"", "FROM busybox\n", "text/plain"},
		{"application/octet-stream", "FROM busybox\n", "text/plain"},
		{"application/x-tar", "FROM busybox\n", "application/x-tar"},
		{"", "\x1f\x8b\x08\x00\x00\x00\x00\x00", "application/x-gzip"},
	}
	for _, tc := range tests {
		mt, r, err := sniff(tc.ct, strings.NewReader(tc.body))
		if err != nil || mt != tc.want {
			t.Errorf("sniff(%q, %q) = %q, %v; want %q", tc.ct, tc.body, mt, err, tc.want)
			continue
		}
		if all, _ := io.ReadAll(r); string(all) != tc.body {
			t.Errorf("sniff lost bytes: %q", all)
		}
	}
	if _, _, err := sniff("", strings.NewReader("")); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("empty body: %v", err)
	}
	r, err := dockerfileTar(strings.NewReader("FROM scratch\n"), "sub/Dockerfile.x")
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := tar.NewReader(r).Next()
	if err != nil || hdr.Name != "sub/Dockerfile.x" || hdr.Size != 13 {
		t.Errorf("dockerfile tar: %+v, %v", hdr, err)
	}
}

func TestCacheSourceMatching(t *testing.T) {
	h := func(by string, empty bool) ocispec.History { return ocispec.History{CreatedBy: by, EmptyLayer: empty} }
	img := func(diffs int, hist ...ocispec.History) *image.Image {
		i := &image.Image{}
		i.Config.History = hist
		for n := range diffs {
			i.DiffIDs = append(i.DiffIDs, digest.FromString(string(rune('a'+n))))
		}
		return i
	}
	base := img(1, h("ADD rootfs", false))
	src := img(3, h("ADD rootfs", false), h("RUN a", false), h("ENV x", true), h("COPY f", false))
	if !validParent(src, base) || !validParent(src, nil) {
		t.Error("src should follow base and scratch")
	}
	if validParent(src, img(1, h("ADD other", false))) || validParent(base, src) {
		t.Error("unrelated or longer parents accepted")
	}
	for i, want := range []int{0, 1, -1, 2} {
		if got := layerIndex(src, i); got != want {
			t.Errorf("layerIndex(%d) = %d, want %d", i, got, want)
		}
	}
}

// TestGitMissing: without a git binary a git context is a clear client
// error, and nothing is left in the builder's directory.
func TestGitMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	root := t.TempDir()
	b := New(newFake(), nil, root)
	_, err := b.Build(t.Context(), strings.NewReader(""), Options{Remote: "https://example.com/r.git#main"}, nil)
	if !errors.Is(err, errNoGit) || !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("err = %v, want errNoGit", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "tmp")); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestRemoteContextRejected(t *testing.T) {
	b := New(newFake(), nil, t.TempDir())
	for _, opts := range []Options{{Remote: "ftp://example.com/ctx.tar"}, {Platform: "linux/s390x"}, {Platform: "bad platform"}} {
		if _, err := b.Build(t.Context(), strings.NewReader(""), opts, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: err = %v, want invalid argument", opts, err)
		}
	}
}

func TestCheckSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkSize(dir, 100); err != nil {
		t.Errorf("100 bytes within 100: %v", err)
	}
	if err := checkSize(dir, 99); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("100 bytes within 99: %v", err)
	}
}
