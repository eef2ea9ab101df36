package image

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	regtest "github.com/berth-engine/berth/internal/testutil/registry"
	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
)

func TestPushThenPull(t *testing.T) {
	reg := regtest.Start(t, regtest.Options{Users: map[string]string{"alice": "secret"}})
	auth := registry.AuthConfig{Username: "alice", Password: "secret", ServerAddress: reg.Addr}
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		withRegistry(t, e)
		ctx := context.Background()
		ref := reg.Addr + "/push/" + e.sn.Name() + ":v1"
		img := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: ref})
		if _, err := e.svc.Login(ctx, auth); err != nil {
			t.Fatalf("login: %v", err)
		}
		bad := auth
		bad.Password = "wrong"
		if _, err := e.svc.Login(ctx, bad); !errors.Is(err, errdefs.ErrUnauthenticated) {
			t.Errorf("login with a wrong password: %v", err)
		}
		if err := e.svc.Push(ctx, PushOptions{Name: ref}); !errors.Is(err, errdefs.ErrUnauthenticated) {
			t.Errorf("anonymous push: %v", err)
		}
		var rec recorder
		if err := e.svc.Push(ctx, PushOptions{Name: ref, Auth: auth, Progress: rec.fn}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"The push refers to repository", "Preparing", "Pushed", "v1: digest: sha256:"} {
			if !rec.has(s) {
				t.Errorf("no %q in %+v", s, rec.msgs)
			}
		}
		di, _ := e.svc.diffInfo(img.DiffIDs[0])
		if len(di.Blobs) != 1 {
			t.Fatalf("compressed blobs recorded: %+v", di)
		}
		// Second push, other tag: same blob, already there.
		if err := e.svc.Tag(ctx, ref, reg.Addr+"/push/"+e.sn.Name()+":v2"); err != nil {
			t.Fatal(err)
		}
		rec = recorder{}
		if err := e.svc.Push(ctx, PushOptions{Name: reg.Addr + "/push/" + e.sn.Name(), Tag: "v2", Auth: auth, Progress: rec.fn}); err != nil || !rec.has("Layer already exists") {
			t.Errorf("second push: %v %+v", err, rec.msgs)
		}
		if di2, _ := e.svc.diffInfo(img.DiffIDs[0]); len(di2.Blobs) != 1 || di2.Blobs[0].Digest != di.Blobs[0].Digest {
			t.Errorf("recompressed: %+v", di2)
		}
		// The registry serves what a third-party client reads back.
		r, _ := name.ParseReference(ref)
		rimg, err := remote.Image(r, remote.WithAuth(authn(auth)))
		if err != nil {
			t.Fatal(err)
		}
		cfgName, _ := rimg.ConfigName()
		if cfgName.String() != img.ID.String() {
			t.Errorf("remote config %s, want %s", cfgName, img.ID)
		}
		got, _ := e.svc.Get(ctx, ref)
		if len(got.RepoDigests) != 1 {
			t.Errorf("RepoDigests after push: %v", got.RepoDigests)
		}
		// rmi, then pull back.
		if _, err := e.svc.Delete(ctx, img.ID.String(), DeleteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		pulled, err := e.svc.Pull(ctx, PullOptions{Ref: ref, Auth: auth})
		if err != nil || pulled.ID != img.ID || !slices.Equal(pulled.DiffIDs, []digest.Digest{img.DiffIDs[0]}) {
			t.Fatalf("pull back: %v %v", pulled, err)
		}
		if _, err := e.svc.Pull(ctx, PullOptions{Ref: ref}); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("anonymous pull from an auth registry: %v", err)
		}
		e.svc.Delete(ctx, pulled.ID.String(), DeleteOptions{Force: true})
		e.assertEmpty(t)
	})
}
