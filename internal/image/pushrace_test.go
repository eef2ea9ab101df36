package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	regtest "github.com/berth-engine/berth/internal/testutil/registry"
	"github.com/moby/moby/api/types/registry"
)

// randomLayerTar is a rootfs tarball with one file of n random bytes, so
// every call gives a layer no store or registry has seen.
func randomLayerTar(t *testing.T, n int) []byte {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "payload", Mode: 0o644, Size: int64(n), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pushAll pushes every reference at once and returns the errors.
func pushAll(ctx context.Context, svc *Service, auth registry.AuthConfig, refs []string) []error {
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Go(func() { errs[i] = svc.Push(ctx, PushOptions{Name: ref, Auth: auth}) })
	}
	wg.Wait()
	return errs
}

// TestConcurrentPushSameImage pushes a fresh image under several tags of
// one repository at the same time (nothing compressed yet), and two
// images sharing that layer to two repositories at once, against a
// registry with htpasswd login, a few times over.
func TestConcurrentPushSameImage(t *testing.T) {
	reg := regtest.Start(t, regtest.Options{Users: map[string]string{"alice": "secret"}})
	auth := registry.AuthConfig{Username: "alice", Password: "secret", ServerAddress: reg.Addr}
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		withRegistry(t, e)
		ctx := context.Background()
		for iter := range 5 {
			layer := randomLayerTar(t, 4<<20)
			repo := fmt.Sprintf("%s/race/%s%d", reg.Addr, e.sn.Name(), iter)
			img := e.importTar(t, layer, ImportOptions{Ref: repo + ":t0"})
			refs := []string{repo + ":t0"}
			for i := 1; i < 4; i++ {
				ref := fmt.Sprintf("%s:t%d", repo, i)
				if err := e.svc.Tag(ctx, repo+":t0", ref); err != nil {
					t.Fatal(err)
				}
				refs = append(refs, ref)
			}
			for i, err := range pushAll(ctx, e.svc, auth, refs) {
				if err != nil {
					t.Errorf("iteration %d: push %s: %v", iter, refs[i], err)
				}
			}
			if di, _ := e.svc.diffInfo(img.DiffIDs[0]); len(di.Blobs) != 1 {
				t.Errorf("iteration %d: layer compressed %d times: %+v", iter, len(di.Blobs), di.Blobs)
			}
			// Different images (same layer, other config) to other repositories.
			shared := randomLayerTar(t, 2<<20)
			var refs2 []string
			for i := range 3 {
				ref := fmt.Sprintf("%s/share%d/%s%d:v1", reg.Addr, i, e.sn.Name(), iter)
				e.importTar(t, shared, ImportOptions{Ref: ref, Changes: []string{fmt.Sprintf("ENV N=%d", i)}})
				refs2 = append(refs2, ref)
			}
			for i, err := range pushAll(ctx, e.svc, auth, refs2) {
				if err != nil {
					t.Errorf("iteration %d: push %s: %v", iter, refs2[i], err)
				}
			}
			if t.Failed() {
				log, _ := os.ReadFile(filepath.Join(reg.Dir, "registry.log"))
				t.Logf("registry errors:\n%s", registryErrors(string(log)))
				return
			}
		}
	})
}

// registryErrors keeps the registry's error lines other than the 404s
// every push gets while it checks which blobs exist.
func registryErrors(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=error") && !strings.Contains(l, `http.response.status=404`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
