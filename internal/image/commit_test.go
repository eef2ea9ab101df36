package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	ctr "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
)

// differ is what the snapshotters offer container commit and export.
type differ interface {
	Diff(ctx context.Context, key, parent string, w io.Writer, skip func(string) bool) error
	Export(ctx context.Context, key, parent string, w io.Writer) error
}

func TestCommitAndPrune(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		base := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "busybox"})
		rootfs, err := e.sn.Prepare(ctx, "c1", base.ChainID)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.sn.Remove(ctx, "c1") })
		if err := os.WriteFile(filepath.Join(rootfs, "greeting"), []byte("hi"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(rootfs, "bin/ls")); err != nil {
			t.Fatal(err)
		}
		var diff bytes.Buffer
		if err := e.sn.(differ).Diff(ctx, "c1", base.ChainID, &diff, nil); err != nil {
			t.Fatal(err)
		}
		cfg := &ctr.Config{Cmd: []string{"sh"}, Env: []string{"A=1"}, Labels: map[string]string{"l": "1"}}
		img, err := e.svc.Commit(ctx, bytes.NewReader(diff.Bytes()), CommitOptions{
			Parent: base.ID, Config: cfg, Author: "me", Comment: "snap", Changes: []string{"CMD echo hi"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if img.Parent != base.ID || len(img.DiffIDs) != 2 || img.DiffIDs[0] != base.DiffIDs[0] || img.Size <= base.Size {
			t.Errorf("committed image: parent %s diffIDs %v size %d (base %d)", img.Parent, img.DiffIDs, img.Size, base.Size)
		}
		c := img.Config
		if c.Author != "me" || img.Comment != "snap" || !slices.Equal(c.Config.Cmd, []string{"/bin/sh", "-c", "echo hi"}) ||
			!slices.Equal(c.Config.Env, []string{"A=1"}) || c.Config.Labels["l"] != "1" || len(c.History) != 2 || len(c.RootFS.DiffIDs) != 2 {
			t.Errorf("config: %+v comment %q", c, img.Comment)
		}
		// The new image's filesystem has the change and the deletion.
		top, err := e.sn.Prepare(ctx, "c2", img.ChainID)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.sn.Remove(ctx, "c2") })
		if b, err := os.ReadFile(filepath.Join(top, "greeting")); err != nil || string(b) != "hi" {
			t.Errorf("greeting: %q %v", b, err)
		}
		if _, err := os.Lstat(filepath.Join(top, "bin/ls")); !os.IsNotExist(err) {
			t.Errorf("bin/ls survived the commit: %v", err)
		}
		var export bytes.Buffer
		if err := e.sn.(differ).Export(ctx, "c1", base.ChainID, &export); err != nil {
			t.Fatal(err)
		}
		if names := tarEntries(t, export.Bytes()); !names["greeting"] || names["bin/ls"] || !names["bin/busybox"] {
			t.Errorf("export: greeting %v bin/ls %v bin/busybox %v", names["greeting"], names["bin/ls"], names["bin/busybox"])
		}

		// Prune: the untagged commit is dangling, busybox is not; a used
		// image survives prune -a.
		rep, err := e.svc.Prune(ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.ImagesDeleted) == 0 || rep.ImagesDeleted[0].Deleted != img.ID.String() || rep.SpaceReclaimed == 0 {
			t.Errorf("prune: %+v", rep)
		}
		inUse := func(id digest.Digest) bool { return id == base.ID }
		if rep, err = e.svc.Prune(ctx, map[string][]string{"dangling": {"false"}}, inUse); err != nil || len(rep.ImagesDeleted) != 0 {
			t.Errorf("prune -a with busybox in use: %+v %v", rep, err)
		}
		if rep, err = e.svc.Prune(ctx, map[string][]string{"dangling": {"false"}, "until": {"1h"}}, nil); err != nil || len(rep.ImagesDeleted) != 0 {
			t.Errorf("prune -a until=1h removed a new image: %+v %v", rep, err)
		}
		if _, err = e.svc.Prune(ctx, map[string][]string{"bogus": {"1"}}, nil); err == nil {
			t.Error("prune accepted an unknown filter")
		}
		if rep, err = e.svc.Prune(ctx, map[string][]string{"dangling": {"false"}}, nil); err != nil || len(rep.ImagesDeleted) != 3 { // untagged, deleted image, deleted layer
			t.Errorf("prune -a: %+v %v", rep, err)
		}
	})
}

func TestPruneSelector(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		filters map[string][]string
		want    pruneSelector
		bad     bool
	}{
		{filters: nil, want: pruneSelector{}},
		{filters: map[string][]string{"dangling": {"false"}}, want: pruneSelector{all: true}},
		{filters: map[string][]string{"until": {"1h"}}, want: pruneSelector{until: now.Add(-time.Hour)}},
		{filters: map[string][]string{"until": {"1700000000"}}, want: pruneSelector{until: time.Unix(1700000000, 0)}},
		{filters: map[string][]string{"label": {"a=b"}, "label!": {"c"}}, want: pruneSelector{labels: []string{"a=b"}, notLabels: []string{"c"}}},
		{filters: map[string][]string{"dangling": {"maybe"}}, bad: true},
		{filters: map[string][]string{"until": {"soon"}}, bad: true},
		{filters: map[string][]string{"reference": {"x"}}, bad: true},
	}
	for _, tc := range tests {
		got, err := newPruneSelector(tc.filters, now)
		if (err != nil) != tc.bad {
			t.Errorf("%v: err %v", tc.filters, err)
			continue
		}
		if !tc.bad && (got.all != tc.want.all || !got.until.Equal(tc.want.until) || !slices.Equal(got.labels, tc.want.labels) || !slices.Equal(got.notLabels, tc.want.notLabels)) {
			t.Errorf("%v: %+v, want %+v", tc.filters, got, tc.want)
		}
	}
}

func tarEntries(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err != nil {
			return out
		}
		out[hdr.Name] = true
	}
}
