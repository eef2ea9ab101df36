package build

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/berth-engine/berth/internal/testutil/registry"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestBuildPlatform: --platform and FROM --platform accept the host's
// platform (in its normalized and variant forms), the automatic platform
// ARGs are set as BuildKit sets them, and a platform this host cannot run
// is refused with a clear error before anything is built.
func TestBuildPlatform(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("platform names below are amd64's")
	}
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "ARG BASE=busybox\nFROM --platform=$BUILDPLATFORM ${BASE} AS build\nARG TARGETPLATFORM\nARG BUILDPLATFORM\nARG TARGETOS\nARG TARGETARCH\n" +
			"RUN echo \"$BUILDPLATFORM $TARGETPLATFORM $TARGETOS $TARGETARCH\" > /p\n" +
			"FROM busybox\nCOPY --from=build /p /p\nRUN echo \"[$TARGETARCH]\" >> /p\nCMD [\"cat\", \"/p\"]\n",
	})
	docker(t, d, "build", "--platform", "linux/amd64", "-t", "plat:1", dir)
	if got := docker(t, d, "run", "--rm", "plat:1"); got != "linux/amd64 linux/amd64 linux amd64\n[]\n" {
		t.Errorf("platform args: %q", got)
	}
	for _, p := range []string{"linux/x86_64", "linux/amd64/v2", "amd64"} {
		if out, code := berth(t, d, "build", "--platform", p, "-q", dir); code != 0 {
			t.Errorf("berth build --platform %s: %d\n%s", p, code, out)
		}
	}
	if got := docker(t, d, "image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "plat:1"); got != "linux/amd64\n" {
		t.Errorf("image platform %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--platform", "linux/arm64"}, "cannot run linux/arm64 images"},
		{[]string{"--platform", "windows/amd64"}, "operating system is not supported"},
	} {
		out := dockerFail(t, d, append(append([]string{"build"}, tc.args...), dir)...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("build %v: want %q in:\n%s", tc.args, tc.want, out)
		}
	}
	foreign := writeContext(t, map[string]string{"Dockerfile": "FROM --platform=linux/arm64 busybox\nRUN true\n"})
	if out := dockerFail(t, d, "build", foreign); !strings.Contains(out, "cannot run linux/arm64 images") {
		t.Errorf("FROM --platform=linux/arm64: %s", out)
	}
	requireClean(t, d)
}

// TestBuildPlatformPull: with --platform or FROM --platform, a base image
// whose tag is a multi-platform index is pulled for that platform.
func TestBuildPlatformPull(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("platform names below are amd64's")
	}
	d := newDaemon(t)
	reg := registry.Start(t, registry.Options{})
	pushIndex(t, reg.Addr, "lib/multi", "v1", map[string]string{"amd64": "picked-amd64", "arm64": "picked-arm64"})
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + reg.Addr + "/lib/multi:v1\nRUN echo $MARK > /mark\n"})
	out := docker(t, d, "build", "--platform", "linux/amd64", "-t", "multi:1", dir)
	if !strings.Contains(out, "Pulling from lib/multi") {
		t.Errorf("no pull:\n%s", out)
	}
	if got := docker(t, d, "run", "--rm", "multi:1", "cat", "/mark"); got != "picked-amd64\n" {
		t.Errorf("pulled the wrong platform: %q", got)
	}
	// A stage for a platform the host cannot run is fine without RUN.
	arm := writeContext(t, map[string]string{"Dockerfile": "FROM --platform=linux/arm64 " + reg.Addr + "/lib/multi:v1\nLABEL arch=arm\n"})
	docker(t, d, "build", "-t", "multi:arm", arm)
	if got := docker(t, d, "image", "inspect", "-f", "{{.Architecture}} {{.Config.Env}}", "multi:arm"); !strings.HasPrefix(got, "arm64 [MARK=picked-arm64") {
		t.Errorf("FROM --platform=linux/arm64 gave %q", got)
	}
}

// pushIndex pushes, over the registry API, an OCI index with one busybox
// image per architecture, each with MARK=<marks[arch]> in its config.
func pushIndex(t *testing.T, addr, repo, tag string, marks map[string]string) {
	t.Helper()
	layerTar := testutil.BusyboxTar(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(layerTar)
	_ = zw.Close()
	diffID := digest.FromBytes(layerTar)
	layer := pushBlob(t, addr, repo, ocispec.MediaTypeImageLayerGzip, gz.Bytes())
	var index ocispec.Index
	index.SchemaVersion, index.MediaType = 2, ocispec.MediaTypeImageIndex
	for arch, mark := range marks {
		cfg, _ := json.Marshal(ocispec.Image{
			Platform: ocispec.Platform{OS: "linux", Architecture: arch},
			Config:   ocispec.ImageConfig{Env: []string{"MARK=" + mark, "PATH=/bin"}, Cmd: []string{"sh"}},
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
		})
		m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: pushBlob(t, addr, repo, ocispec.MediaTypeImageConfig, cfg),
			Layers: []ocispec.Descriptor{layer}}
		m.SchemaVersion = 2
		raw, _ := json.Marshal(m)
		desc := putManifest(t, addr, repo, digest.FromBytes(raw).String(), ocispec.MediaTypeImageManifest, raw)
		desc.Platform = &ocispec.Platform{OS: "linux", Architecture: arch}
		index.Manifests = append(index.Manifests, desc)
	}
	raw, _ := json.Marshal(index)
	putManifest(t, addr, repo, tag, ocispec.MediaTypeImageIndex, raw)
}

func pushBlob(t *testing.T, addr, repo, mediaType string, data []byte) ocispec.Descriptor {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: %s %v", resp.Status, err)
	}
	dg := digest.FromBytes(data)
	q := loc.Query()
	q.Set("digest", dg.String())
	loc.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload blob: %s", resp.Status)
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: dg, Size: int64(len(data))}
}

func putManifest(t *testing.T, addr, repo, ref, mediaType string, raw []byte) ocispec.Descriptor {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/v2/"+repo+"/manifests/"+ref, bytes.NewReader(raw))
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("put manifest %s: %s", ref, resp.Status)
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
}
