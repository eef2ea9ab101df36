package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/content/local"
	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/snapshot"
	"github.com/berth-engine/berth/internal/snapshot/native"
	"github.com/berth-engine/berth/internal/snapshot/overlay"
	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

type env struct {
	svc  *Service
	cs   *local.Store
	sn   snapshot.Snapshotter
	root string
}

// forEachSnapshotter runs fn against a fresh service per snapshotter.
func forEachSnapshotter(t *testing.T, fn func(t *testing.T, e *env)) {
	testutil.RequiresRoot(t)
	makers := map[string]func(root string) (snapshot.Snapshotter, error){
		"native": func(root string) (snapshot.Snapshotter, error) {
			return native.New(filepath.Join(root, "layers"), filepath.Join(root, "containers"))
		},
		"overlay": func(root string) (snapshot.Snapshotter, error) {
			if err := overlay.Supported(root); err != nil {
				return nil, err
			}
			return overlay.New(filepath.Join(root, "layers"), filepath.Join(root, "containers"))
		},
	}
	for name, mk := range makers {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			sn, err := mk(root)
			if err != nil {
				t.Skip(err)
			}
			db, err := metadata.Open(filepath.Join(root, "meta.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			cs, err := local.New(filepath.Join(root, "content"))
			if err != nil {
				t.Fatal(err)
			}
			svc, err := New(context.Background(), db, cs, sn)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, &env{svc: svc, cs: cs, sn: sn, root: root})
		})
	}
}

func (e *env) importTar(t *testing.T, data []byte, opts ImportOptions) *Image {
	t.Helper()
	img, err := e.svc.Import(context.Background(), bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return img
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestImportBusybox(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := testutil.BusyboxTar(t)
		img := e.importTar(t, data, ImportOptions{Ref: "busybox"})

		raw, err := e.cs.ReadBlob(ctx, img.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha(raw) != img.ID.String() {
			t.Errorf("ID %s is not the sha256 of the stored config", img.ID)
		}
		if img.DiffIDs[0].String() != sha(data) || img.ChainID != sha(data) {
			t.Errorf("diffID %s chainID %s, want %s", img.DiffIDs[0], img.ChainID, sha(data))
		}
		if n, err := e.cs.Size(ctx, img.DiffIDs[0]); err != nil || n != int64(len(data)) {
			t.Errorf("layer blob size %d, %v", n, err)
		}
		if !slices.Equal(img.RepoTags, []string{"busybox:latest"}) {
			t.Errorf("RepoTags = %v", img.RepoTags)
		}
		if h := img.Config.History; len(h) != 1 || h[0].Comment != "Imported from -" {
			t.Errorf("history = %+v", h)
		}
		if img.Config.OS != "linux" || img.Config.Architecture == "" || img.Size == 0 {
			t.Errorf("os %q arch %q size %d", img.Config.OS, img.Config.Architecture, img.Size)
		}
		hexID := img.ID.Encoded()
		for _, name := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest", img.ID.String(), hexID, hexID[:12], hexID[:1], "sha256:" + hexID[:7]} {
			got, err := e.svc.Get(ctx, name)
			if err != nil || got.ID != img.ID {
				t.Errorf("Get(%q) = %v, %v", name, got, err)
			}
		}
		_, err = e.svc.Get(ctx, "nosuch")
		if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "No such image: nosuch:latest" {
			t.Errorf("Get(nosuch) = %v", err)
		}
		rootfs, err := e.sn.Prepare(ctx, "c1", img.ChainID)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.sn.Remove(ctx, "c1") })
		if fi, err := os.Stat(filepath.Join(rootfs, "bin/busybox")); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("busybox in rootfs: %v %v", fi, err)
		}
		insp := e.svc.InspectResponse(img)
		if insp.ID != img.ID.String() || insp.RootFS.Type != "layers" || len(insp.RootFS.Layers) != 1 ||
			insp.GraphDriver.Name != e.sn.Name() || insp.Comment != "Imported from -" || insp.Created == "" {
			t.Errorf("inspect = %+v", insp)
		}
		sum := e.svc.Summary(img)
		if sum.ID != img.ID.String() || sum.Size != img.Size || len(sum.RepoTags) != 1 || sum.RepoDigests == nil {
			t.Errorf("summary = %+v", sum)
		}
	})
}

func TestImportGzipWithChanges(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(testutil.BusyboxTar(t))
		zw.Close()
		img := e.importTar(t, buf.Bytes(), ImportOptions{Ref: "example.com/team/app:v1", Message: "hello",
			Changes: []string{`CMD ["sh", "-c", "echo hi"]`, "ENV A=1 B=two", "EXPOSE 80", "LABEL x=y", "WORKDIR /srv", "USER berth"}})
		c := img.Config.Config
		if !slices.Equal(c.Cmd, []string{"sh", "-c", "echo hi"}) || !slices.Equal(c.Env, []string{"A=1", "B=two"}) ||
			c.WorkingDir != "/srv" || c.User != "berth" || c.Labels["x"] != "y" {
			t.Errorf("config = %+v", c)
		}
		if _, ok := c.ExposedPorts["80/tcp"]; !ok {
			t.Errorf("ports = %v", c.ExposedPorts)
		}
		if img.Comment != "hello" || !slices.Equal(img.RepoTags, []string{"example.com/team/app:v1"}) {
			t.Errorf("comment %q tags %v", img.Comment, img.RepoTags)
		}
		if img.DiffIDs[0].String() != sha(testutil.BusyboxTar(t)) {
			t.Error("diff ID is not the digest of the uncompressed tar")
		}
	})
}

func TestTagAndDelete(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		img := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "busybox"})
		id := img.ID.String()
		if err := e.svc.Tag(ctx, "busybox", "Bad Ref"); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("Tag invalid: %v", err)
		}
		for _, ref := range []string{"busybox:v2", "other/repo"} {
			if err := e.svc.Tag(ctx, id, ref); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := e.svc.Get(ctx, id)
		if !slices.Equal(got.RepoTags, []string{"busybox:latest", "busybox:v2", "other/repo:latest"}) || got.LastTagTime.IsZero() {
			t.Errorf("RepoTags = %v", got.RepoTags)
		}
		// By ID with references in several repositories: conflict.
		if _, err := e.svc.Delete(ctx, id, DeleteOptions{}); !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("Delete by ID: %v", err)
		}
		// By tag: untag only.
		resp, err := e.svc.Delete(ctx, "other/repo", DeleteOptions{})
		if err != nil || !slices.Equal(resp, []image.DeleteResponse{{Untagged: "other/repo:latest"}}) {
			t.Errorf("Delete tag = %v, %v", resp, err)
		}
		// In use: last tag and by ID are conflicts unless forced; forced only untags.
		inUse := func(digest.Digest) string { return "0123456789abcdef" }
		e.svc.Delete(ctx, "busybox:v2", DeleteOptions{})
		_, err = e.svc.Delete(ctx, "busybox", DeleteOptions{InUse: inUse})
		if !errors.Is(err, errdefs.ErrConflict) || !strings.Contains(err.Error(), "container 0123456789ab is using its referenced image") {
			t.Errorf("Delete last tag in use: %v", err)
		}
		_, err = e.svc.Delete(ctx, id, DeleteOptions{InUse: inUse})
		want := "conflict: unable to delete " + img.ID.Encoded()[:12] + " (must be forced) - image is being used by stopped container 0123456789ab"
		if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
			t.Errorf("Delete by ID in use: %v", err)
		}
		resp, err = e.svc.Delete(ctx, "busybox", DeleteOptions{Force: true, InUse: inUse})
		if err != nil || !slices.Equal(resp, []image.DeleteResponse{{Untagged: "busybox:latest"}}) {
			t.Errorf("forced delete in use = %v, %v", resp, err)
		}
		if got, err := e.svc.Get(ctx, id); err != nil || len(got.RepoTags) != 0 {
			t.Fatalf("image gone after forced untag: %v", err)
		}
		// Not in use, by ID: deleted with its layer and blobs.
		resp, err = e.svc.Delete(ctx, id[7:19], DeleteOptions{})
		wantResp := []image.DeleteResponse{{Deleted: id}, {Deleted: img.ChainID}}
		if err != nil || !slices.Equal(resp, wantResp) {
			t.Errorf("Delete = %v, %v; want %v", resp, err, wantResp)
		}
		e.assertEmpty(t)
	})
}

func TestSharedLayers(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := testutil.BusyboxTar(t)
		a := e.importTar(t, data, ImportOptions{Ref: "a"})
		b := e.importTar(t, data, ImportOptions{Ref: "b", Message: "other"})
		if a.ID == b.ID || a.ChainID != b.ChainID {
			t.Fatalf("ids %s %s chains %s %s", a.ID, b.ID, a.ChainID, b.ChainID)
		}
		if layers, _ := e.sn.Layers(ctx); len(layers) != 1 {
			t.Errorf("layers = %v", layers)
		}
		resp, err := e.svc.Delete(ctx, "a", DeleteOptions{})
		if err != nil || len(resp) != 2 {
			t.Fatalf("Delete a = %v, %v", resp, err)
		}
		if !e.sn.HasLayer(ctx, b.ChainID) {
			t.Fatal("shared layer removed")
		}
		if _, err := e.cs.Size(ctx, b.DiffIDs[0]); err != nil {
			t.Errorf("shared layer blob removed: %v", err)
		}
		list, err := e.svc.List(ctx)
		if err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("List = %v, %v", list, err)
		}
		if _, err := e.svc.Delete(ctx, "b", DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		e.assertEmpty(t)
	})
}

func TestImportMaliciousLeavesNothing(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "ok", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte("x"))
		tw.WriteHeader(&tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte("x"))
		tw.Close()
		if _, err := e.svc.Import(context.Background(), &buf, ImportOptions{Ref: "evil"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("Import = %v, want invalid argument", err)
		}
		if _, err := os.Stat(filepath.Join(e.root, "escape")); err == nil {
			t.Error("file written outside the layer")
		}
		e.assertEmpty(t)
	})
}

func TestGC(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		img := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{})
		orphan := []byte("orphan layer")
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "f", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(orphan))})
		tw.Write(orphan)
		tw.Close()
		if _, err := e.sn.ApplyLayer(ctx, sha(buf.Bytes()), "", &buf); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.cs.Ingest(ctx, bytes.NewReader(orphan), ""); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.GC(ctx); err != nil {
			t.Fatal(err)
		}
		if layers, _ := e.sn.Layers(ctx); !slices.Equal(layers, []string{img.ChainID}) {
			t.Errorf("layers after GC = %v", layers)
		}
		n := 0
		e.cs.Walk(ctx, func(digest.Digest, int64) error { n++; return nil })
		if n != 2 { // config + layer tar
			t.Errorf("%d blobs after GC", n)
		}
		if _, err := e.svc.Get(ctx, img.ID.String()); err != nil {
			t.Error(err)
		}
	})
}

// assertEmpty checks that no image, ref, layer or blob is left.
func (e *env) assertEmpty(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if list, _ := e.svc.List(ctx); len(list) != 0 {
		t.Errorf("images left: %v", list)
	}
	refs := 0
	e.svc.db.List(bucketRefs, func(string, []byte) error { refs++; return nil })
	if refs != 0 {
		t.Errorf("%d refs left", refs)
	}
	if layers, _ := e.sn.Layers(ctx); len(layers) != 0 {
		t.Errorf("layers left: %v", layers)
	}
	e.cs.Walk(ctx, func(d digest.Digest, _ int64) error {
		t.Errorf("blob left: %s", d)
		return nil
	})
	if ents, _ := os.ReadDir(filepath.Join(e.root, "content", "ingest")); len(ents) != 0 {
		t.Errorf("ingest left: %v", ents)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.root, "layers")); len(ents) > 1 { // overlay keeps l/
		t.Errorf("layer dirs left: %v", ents)
	}
}

func TestConcurrentImports(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := testutil.BusyboxTar(t)
		errs := make(chan error, 4)
		for i := 0; i < 4; i++ {
			go func() {
				_, err := e.svc.Import(ctx, bytes.NewReader(data), ImportOptions{Ref: "same"})
				errs <- err
			}()
		}
		for i := 0; i < 4; i++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		list, _ := e.svc.List(ctx)
		tagged := 0
		for _, img := range list {
			tagged += len(img.RepoTags)
		}
		if len(list) < 1 || tagged != 1 {
			t.Errorf("%d images, %d tags", len(list), tagged)
		}
		if layers, _ := e.sn.Layers(ctx); len(layers) != 1 {
			t.Errorf("layers = %v", layers)
		}
		for _, img := range list {
			if _, err := e.svc.Delete(ctx, img.ID.String(), DeleteOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
		}
		e.assertEmpty(t)
	})
}
