package container

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/volume"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// fakeVolumes is an in-memory VolumeStore.
type fakeVolumes struct {
	vols    map[string]*volume.Volume
	n       int
	removed []string
}

func (f *fakeVolumes) Create(_ context.Context, o volume.CreateOptions) (*volume.Volume, error) {
	if v, ok := f.vols[o.Name]; ok {
		return v, nil
	}
	v := &volume.Volume{Name: o.Name}
	if v.Name == "" {
		f.n++
		v.Name, v.Anonymous = "anon"+string(rune('0'+f.n)), true
	}
	f.vols[v.Name] = v
	return v, nil
}

func (f *fakeVolumes) Get(_ context.Context, name string) (*volume.Volume, error) {
	if v, ok := f.vols[name]; ok {
		return v, nil
	}
	return nil, errdefs.ErrNotFound
}
func (f *fakeVolumes) Path(name string) string                               { return "/vols/" + name }
func (f *fakeVolumes) Mount(context.Context, string, string) (string, error) { return "", nil }
func (f *fakeVolumes) Unmount(context.Context, string, string) error         { return nil }
func (f *fakeVolumes) Remove(_ context.Context, name string, _ bool) error {
	f.removed = append(f.removed, name)
	delete(f.vols, name)
	return nil
}

func newVolumeTestService(t *testing.T) (*Service, *fakeVolumes) {
	t.Helper()
	db, err := metadata.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := newStore(db)
	if err != nil {
		t.Fatal(err)
	}
	fv := &fakeVolumes{vols: map[string]*volume.Volume{}}
	return &Service{cfg: Config{Volumes: fv}, store: st, log: slog.Default()}, fv
}

func TestPrepareMounts(t *testing.T) {
	s, fv := newVolumeTestService(t)
	ctx := context.Background()
	src := &Container{ID: "src1", Name: "src", Config: &ctr.Config{}, HostConfig: &ctr.HostConfig{}}
	src.init()
	src.MountPoints = []*MountPoint{
		{Type: mount.TypeVolume, Name: "shared", Destination: "/shared", RW: true},
		{Type: mount.TypeVolume, Name: "over", Destination: "/over", RW: true},
		{Type: mount.TypeTmpfs, Destination: "/tmpfs", RW: true},
	}
	if err := s.store.add(src); err != nil {
		t.Fatal(err)
	}
	img := &image.Image{}
	img.Config.Config = dockerspec.DockerOCIImageConfig{}
	img.Config.Config.Volumes = map[string]struct{}{"/data": {}, "/over": {}, "/run": {}}
	dir := t.TempDir()
	c := &Container{ID: "c1", Config: &ctr.Config{Volumes: map[string]struct{}{"/cfg": {}}}, HostConfig: &ctr.HostConfig{
		VolumesFrom: []string{"src:ro"},
		Binds:       []string{"named:/over", dir + ":/bind:ro"},
		Mounts:      []mount.Mount{{Type: mount.TypeTmpfs, Target: "/scratch"}},
		Tmpfs:       map[string]string{"/run": ""},
	}}
	if err := s.prepareMounts(ctx, c, img); err != nil {
		t.Fatal(err)
	}
	got := map[string]*MountPoint{}
	for _, mp := range c.MountPoints {
		got[mp.Destination] = mp
	}
	if len(got) != 6 {
		t.Fatalf("mount points %+v", got)
	}
	checks := []struct {
		dst  string
		ok   bool
		what string
	}{
		{"/shared", got["/shared"].Name == "shared" && !got["/shared"].RW, "volumes-from :ro"},
		{"/over", got["/over"].Name == "named" && got["/over"].RW && got["/over"].Source == "/vols/named", "-v overrides volumes-from and image VOLUME"},
		{"/bind", got["/bind"].Type == mount.TypeBind && got["/bind"].Source == dir && !got["/bind"].RW, "bind"},
		{"/scratch", got["/scratch"].Type == mount.TypeTmpfs, "--mount tmpfs"},
		{"/data", got["/data"].Type == mount.TypeVolume && len(got["/data"].Name) > 0 && got["/data"].CopyData, "image VOLUME"},
		{"/cfg", got["/cfg"] != nil, "Config.Volumes"},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("%s (%s): %+v", ck.dst, ck.what, got[ck.dst])
		}
	}
	if got["/run"] != nil || got["/tmpfs"] != nil {
		t.Errorf("tmpfs destinations got volumes: %+v", got)
	}
	if _, ok := c.Config.Volumes["/data"]; !ok {
		t.Errorf("image VOLUMEs not in Config.Volumes: %v", c.Config.Volumes)
	}
	if !mountsVolume(c, "named") || !mountsVolume(c, "/bind") || mountsVolume(c, "nope") {
		t.Error("mountsVolume")
	}
	if err := s.store.add(c); err != nil {
		t.Fatal(err)
	}
	if users := s.VolumeUsers("shared"); len(users) != 2 {
		t.Errorf("users of shared: %+v", users)
	}
	_ = s.store.remove(c)
	s.removeAnonVolumes(ctx, c)
	if len(fv.removed) != 2 { // /data and /cfg; never named ones
		t.Errorf("removed %v", fv.removed)
	}
}

func TestPrepareMountsErrors(t *testing.T) {
	s, fv := newVolumeTestService(t)
	missing := filepath.Join(t.TempDir(), "missing")
	for name, hc := range map[string]*ctr.HostConfig{
		"duplicate":         {Binds: []string{"a:/d"}, Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "b", Target: "/d"}}},
		"tmpfs clash":       {Binds: []string{"a:/d"}, Tmpfs: map[string]string{"/d": ""}},
		"bind source":       {Mounts: []mount.Mount{{Type: mount.TypeBind, Source: missing, Target: "/d"}}},
		"bad name":          {Binds: []string{"a$:/d"}},
		"unknown container": {VolumesFrom: []string{"nosuch"}},
	} {
		c := &Container{ID: "x", Config: &ctr.Config{Volumes: map[string]struct{}{"/anon": {}}}, HostConfig: hc}
		err := s.prepareMounts(context.Background(), c, nil)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for n, v := range fv.vols {
		if v.Anonymous {
			t.Errorf("anonymous volume %s left after a failed create", n)
		}
	}
}
