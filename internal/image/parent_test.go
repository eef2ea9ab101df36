package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// chain is base (imported, tagged busybox) ← c1 (layer) ← c2 (config
// only) ← c3 (layer, tagged app), as a 3-step build makes it.
type chain struct{ base, c1, c2, c3 *Image }

func (e *env) child(t *testing.T, parent *Image, file string) *Image {
	t.Helper()
	opts := ChildOptions{Parent: parent.ID, CreatedBy: "step " + file, Config: dockerspec.DockerOCIImageConfig{}}
	opts.Config.Env = []string{"STEP=" + file}
	if file != "" {
		var layer bytes.Buffer
		tw := tar.NewWriter(&layer)
		_ = tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: 2})
		_, _ = tw.Write([]byte("hi"))
		_ = tw.Close()
		opts.Layer = &layer
	}
	img, err := e.svc.Child(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (e *env) chain(t *testing.T) chain {
	t.Helper()
	var c chain
	c.base = e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "busybox"})
	c.c1 = e.child(t, c.base, "one")
	c.c2 = e.child(t, c.c1, "")
	c.c3 = e.child(t, c.c2, "three")
	if err := e.svc.Tag(context.Background(), c.c3.ID.String(), "app"); err != nil {
		t.Fatal(err)
	}
	return c
}

func ids(resp []image.DeleteResponse) []string {
	var out []string
	for _, r := range resp {
		out = append(out, r.Untagged+r.Deleted)
	}
	return out
}

func TestIntermediateImages(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.chain(t)
		imgs, err := e.svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		parents := Parents(imgs)
		for _, img := range imgs {
			want := img.ID == c.c1.ID || img.ID == c.c2.ID
			if got := Intermediate(img, parents); got != want {
				t.Errorf("Intermediate(%s) = %v, want %v", img.ID, got, want)
			}
		}
		for _, id := range []digest.Digest{c.c1.ID, c.c2.ID, c.base.ID} {
			for _, force := range []bool{false, true} {
				_, err := e.svc.Delete(ctx, id.String(), DeleteOptions{Force: force})
				want := "conflict: unable to delete " + id.Encoded()[:12] + " (cannot be forced) - image has dependent child images"
				if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
					t.Errorf("Delete(%s, force=%v) = %v", id, force, err)
				}
			}
		}
		// By its last tag, an image with children is only untagged.
		resp, err := e.svc.Delete(ctx, "busybox", DeleteOptions{})
		if err != nil || !slices.Equal(ids(resp), []string{"busybox:latest"}) {
			t.Errorf("Delete(busybox) = %v, %v", resp, err)
		}
		if _, err := e.svc.Get(ctx, c.base.ID.String()); err != nil {
			t.Errorf("base gone: %v", err)
		}
	})
}

func TestDeletePrunesParents(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.chain(t)
		sibling := e.child(t, c.c1, "sibling") // another build sharing c1
		resp, err := e.svc.Delete(ctx, "app", DeleteOptions{})
		want := []string{"app:latest", c.c3.ID.String(), c.c3.ChainID, c.c2.ID.String()}
		if err != nil || !slices.Equal(ids(resp), want) {
			t.Errorf("Delete(app) = %v, %v; want %v (stop at c1, which has another child)", ids(resp), err, want)
		}
		// The last child takes the untagged chain with it, down to the tag.
		resp, err = e.svc.Delete(ctx, sibling.ID.String(), DeleteOptions{})
		want = []string{sibling.ID.String(), sibling.ChainID, c.c1.ID.String(), c.c1.ChainID}
		if err != nil || !slices.Equal(ids(resp), want) {
			t.Errorf("Delete(sibling) = %v, %v; want %v", ids(resp), err, want)
		}
		imgs, _ := e.svc.List(ctx)
		if len(imgs) != 1 || imgs[0].ID != c.base.ID {
			t.Errorf("images left: %v", imgs)
		}
		if _, err := e.svc.Delete(ctx, "busybox", DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		e.assertEmpty(t)
	})
}

func TestDeleteNoPruneAndInUse(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.chain(t)
		resp, err := e.svc.Delete(ctx, "app", DeleteOptions{NoPrune: true})
		if err != nil || !slices.Equal(ids(resp), []string{"app:latest", c.c3.ID.String(), c.c3.ChainID}) {
			t.Errorf("Delete(app, noprune) = %v, %v", ids(resp), err)
		}
		// c2 is dangling now; a container using c1 stops the pruning there.
		inUse := func(id digest.Digest) string {
			if id == c.c1.ID {
				return "0123456789abcdef"
			}
			return ""
		}
		resp, err = e.svc.Delete(ctx, c.c2.ID.String(), DeleteOptions{InUse: inUse})
		if err != nil || !slices.Equal(ids(resp), []string{c.c2.ID.String()}) {
			t.Errorf("Delete(c2) = %v, %v", ids(resp), err)
		}
		if _, err := e.svc.Get(ctx, c.c1.ID.String()); err != nil {
			t.Errorf("c1 in use was pruned: %v", err)
		}
	})
}

func TestHistoryWalksParents(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.chain(t)
		rows, err := e.svc.History(ctx, "app")
		if err != nil {
			t.Fatal(err)
		}
		want := []*Image{c.c3, c.c2, c.c1, c.base}
		if len(rows) != len(want) {
			t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
		}
		for i, img := range want {
			if rows[i].ID != img.ID.String() {
				t.Errorf("row %d ID = %s, want %s", i, rows[i].ID, img.ID)
			}
		}
		if !slices.Equal(rows[0].Tags, []string{"app:latest"}) || rows[1].Tags != nil || !slices.Equal(rows[3].Tags, []string{"busybox:latest"}) {
			t.Errorf("tags: %v %v %v", rows[0].Tags, rows[1].Tags, rows[3].Tags)
		}
		if rows[0].Size == 0 || rows[1].Size != 0 || rows[0].CreatedBy != "step three" {
			t.Errorf("rows: %+v", rows[:2])
		}
		// Untagged, the base still has children: prune keeps it, rows keep its ID.
		if _, err := e.svc.Delete(ctx, "busybox", DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Prune(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		if rows, _ = e.svc.History(ctx, "app"); rows[3].ID != c.base.ID.String() {
			t.Errorf("untagged base with children was pruned: %+v", rows[3])
		}
	})
}

func TestPruneTakesUntaggedChains(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.chain(t)
		if _, err := e.svc.Delete(ctx, "app", DeleteOptions{NoPrune: true}); err != nil {
			t.Fatal(err)
		}
		report, err := e.svc.Prune(ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{c.c2.ID.String(), c.c1.ID.String(), c.c1.ChainID}
		if !slices.Equal(ids(report.ImagesDeleted), want) || report.SpaceReclaimed == 0 {
			t.Errorf("prune = %v (%d bytes), want %v", ids(report.ImagesDeleted), report.SpaceReclaimed, want)
		}
		imgs, _ := e.svc.List(ctx)
		if len(imgs) != 1 || imgs[0].ID != c.base.ID {
			t.Errorf("images left: %v", imgs)
		}
	})
}

func TestPruneAllTakesTaggedParents(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.chain(t)
		report, err := e.svc.Prune(ctx, map[string][]string{"dangling": {"false"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var untagged []string
		for _, d := range report.ImagesDeleted {
			if d.Untagged != "" {
				untagged = append(untagged, d.Untagged)
			}
		}
		slices.Sort(untagged)
		if !slices.Equal(untagged, []string{"app:latest", "busybox:latest"}) {
			t.Errorf("untagged = %v", untagged)
		}
		e.assertEmpty(t)
	})
}
