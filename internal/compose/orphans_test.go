package compose

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

func TestUpNoStartAndRecreateFlags(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	c := New(f, io.Discard)
	if err := c.Up(ctx, loadUp(t), UpOptions{NoStart: true, Wait: true}); err != nil {
		t.Fatal(err)
	}
	want := []string{"network p_default", "volume p_data", "create p-db-1", "create p-web-1"}
	if got := f.takeCalls(); !slices.Equal(got, want) {
		t.Errorf("up --no-start: %v, want %v", got, want)
	}
	if err := c.Up(ctx, loadUp(t, "V", "2"), UpOptions{NoStart: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.takeCalls(), []string{"remove p-web-1", "create p-web-1"}; !slices.Equal(got, want) {
		t.Errorf("up --no-start of a changed service: %v, want %v", got, want)
	}
	if err := c.Up(ctx, loadUp(t, "V", "3"), UpOptions{NoRecreate: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.takeCalls(), []string{"start p-db-1", "start p-web-1"}; !slices.Equal(got, want) {
		t.Errorf("up --no-recreate: %v, want %v", got, want)
	}
	for _, o := range []UpOptions{{ForceRecreate: true, NoRecreate: true}, {Build: true, NoBuild: true}} {
		if err := c.Up(ctx, loadUp(t), o); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: err %v", o, err)
		}
	}
	if calls := f.takeCalls(); len(calls) != 0 {
		t.Errorf("rejected up made calls %v", calls)
	}
}

func TestOrphans(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	var out bytes.Buffer
	c := New(f, &out)
	if err := c.Up(ctx, loadUp(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	f.takeCalls()
	p := loadUp(t)
	delete(p.Services, "web") // web removed from the files: its container is an orphan
	if err := c.Up(ctx, p, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Found orphan containers ([p-web-1])") {
		t.Errorf("up did not warn about the orphan:\n%s", out.String())
	}
	if calls := f.takeCalls(); len(calls) != 0 {
		t.Errorf("up without --remove-orphans: %v", calls)
	}
	out.Reset()
	if err := c.Down(ctx, "p", p, DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.takeCalls(); !slices.Equal(got, []string{"remove p-db-1"}) || !strings.Contains(out.String(), "p-web-1") {
		t.Errorf("down without --remove-orphans: %v\n%s", got, out.String())
	}
	if err := c.Down(ctx, "p", p, DownOptions{RemoveOrphans: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.takeCalls(); !slices.Equal(got, []string{"remove p-web-1"}) {
		t.Errorf("down --remove-orphans: %v", got)
	}
	// up --remove-orphans removes them too.
	if err := c.Up(ctx, loadUp(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	f.takeCalls()
	if err := c.Up(ctx, p, UpOptions{RemoveOrphans: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.takeCalls(); !slices.Equal(got, []string{"remove p-web-1"}) {
		t.Errorf("up --remove-orphans: %v", got)
	}
}

func TestInheritVolumes(t *testing.T) {
	ctx := context.Background()
	p := loadUp(t)
	s := p.Services["db"]
	s.Volumes = append(s.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Target: "/anon/"})
	old := container.Summary{Mounts: []container.MountPoint{
		{Type: mount.TypeVolume, Name: "p_data", Destination: "/data", RW: true},
		{Type: mount.TypeVolume, Name: "0123abcd", Destination: "/anon", RW: true},
		{Type: mount.TypeBind, Source: "/host", Destination: "/host"},
	}}
	inherited := New(newFake(), io.Discard).inheritedMounts(ctx, p, s, old)
	if len(inherited) != 1 || inherited["/anon"].Source != "0123abcd" {
		t.Fatalf("inherited %v, want only /anon", inherited)
	}
	inherited["/image-volume"] = mount.Mount{Type: mount.TypeVolume, Source: "fedc", Target: "/image-volume"}
	co := client.ContainerCreateOptions{HostConfig: &container.HostConfig{Mounts: []mount.Mount{
		{Type: mount.TypeVolume, Source: "p_data", Target: "/data"},
		{Type: mount.TypeVolume, Target: "/anon/"},
	}}}
	inheritVolumes(&co, inherited)
	want := []mount.Mount{
		{Type: mount.TypeVolume, Source: "p_data", Target: "/data"},
		{Type: mount.TypeVolume, Source: "0123abcd", Target: "/anon/"},
		{Type: mount.TypeVolume, Source: "fedc", Target: "/image-volume"},
	}
	if !slices.Equal(co.HostConfig.Mounts, want) {
		t.Errorf("mounts %+v, want %+v", co.HostConfig.Mounts, want)
	}
}
