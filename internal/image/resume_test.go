package image

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPullResumes serves a layer whose first download breaks off midway:
// the pull resumes with an HTTP range request instead of starting over.
func TestPullResumes(t *testing.T) {
	layer := testutil.BusyboxTar(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()
	blob := gz.Bytes()
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer)}}})
	man, _ := json.Marshal(manifestDoc{SchemaVersion: 2, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(blob), Size: int64(len(blob))}}})
	var layerGets, ranged atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
		case "/v2/r/app/manifests/v1":
			w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
			w.Write(man)
		case "/v2/r/app/blobs/" + digest.FromBytes(cfg).String():
			w.Write(cfg)
		case "/v2/r/app/blobs/" + digest.FromBytes(blob).String():
			if r.Header.Get("Range") != "" {
				ranged.Add(1)
			}
			if layerGets.Add(1) == 1 {
				w.Header().Set("Content-Length", itoa(len(blob)))
				w.Write(blob[:len(blob)/2])
				return // short body: unexpected EOF at the client
			}
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blob))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		withRegistry(t, e)
		layerGets.Store(0)
		ranged.Store(0)
		ref := strings.TrimPrefix(srv.URL, "http://") + "/r/app:v1"
		img, err := e.svc.Pull(context.Background(), PullOptions{Ref: ref})
		if err != nil {
			t.Fatal(err)
		}
		if layerGets.Load() != 2 || ranged.Load() != 1 {
			t.Errorf("%d layer requests, %d ranged", layerGets.Load(), ranged.Load())
		}
		e.svc.Delete(context.Background(), img.ID.String(), DeleteOptions{Force: true})
		e.assertEmpty(t)
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
