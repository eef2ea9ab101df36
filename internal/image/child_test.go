package image

import (
	"archive/tar"
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestChild(t *testing.T) {
	forEachSnapshotter(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		base := e.importTar(t, testutil.BusyboxTar(t), ImportOptions{Ref: "busybox"})
		cfg := dockerspec.DockerOCIImageConfig{}
		cfg.Env = []string{"A=1"}
		meta, err := e.svc.Child(ctx, ChildOptions{Parent: base.ID, Config: cfg, CreatedBy: "ENV A=1", Author: "me"})
		if err != nil {
			t.Fatal(err)
		}
		h := meta.Config.History
		if meta.Parent != base.ID || !slices.Equal(meta.DiffIDs, base.DiffIDs) || meta.ChainID != base.ChainID ||
			!h[len(h)-1].EmptyLayer || h[len(h)-1].CreatedBy != "ENV A=1" || meta.Config.Author != "me" {
			t.Errorf("metadata child: %+v", meta)
		}
		var layer bytes.Buffer
		tw := tar.NewWriter(&layer)
		_ = tw.WriteHeader(&tar.Header{Name: "added", Mode: 0o644, Size: 2})
		_, _ = tw.Write([]byte("hi"))
		_ = tw.Close()
		withLayer, err := e.svc.Child(ctx, ChildOptions{Parent: meta.ID, Config: cfg, Layer: &layer, CreatedBy: "COPY added"})
		if err != nil {
			t.Fatal(err)
		}
		h = withLayer.Config.History
		if len(withLayer.DiffIDs) != len(base.DiffIDs)+1 || h[len(h)-1].EmptyLayer || withLayer.Size <= base.Size ||
			!slices.Equal(withLayer.Config.Config.Env, []string{"A=1"}) {
			t.Errorf("layer child: %+v", withLayer)
		}
		scratch, err := e.svc.Child(ctx, ChildOptions{Config: cfg, CreatedBy: "ENV A=1"})
		if err != nil {
			t.Fatal(err)
		}
		if scratch.Parent != "" || len(scratch.DiffIDs) != 0 || scratch.Config.OS != "linux" {
			t.Errorf("scratch child: %+v", scratch)
		}
		if _, err := e.svc.Child(ctx, ChildOptions{Parent: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}); err == nil {
			t.Error("child of a missing parent")
		}
	})
}
