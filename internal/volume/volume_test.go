package volume

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
)

func newService(t *testing.T, users map[string][]User) *Service {
	t.Helper()
	dir := t.TempDir()
	db, err := metadata.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db, filepath.Join(dir, "volumes"), func(name string) []User { return users[name] })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateGetRemove(t *testing.T) {
	ctx := context.Background()
	s := newService(t, nil)
	v, err := s.Create(ctx, CreateOptions{Name: "data", Labels: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(s.Path("data")); err != nil || !fi.IsDir() {
		t.Fatalf("data dir: %v", err)
	}
	again, err := s.Create(ctx, CreateOptions{Name: "data"})
	if err != nil || !again.CreatedAt.Equal(v.CreatedAt) || again.Labels["a"] != "b" {
		t.Fatalf("second create returned %+v, %v", again, err)
	}
	if err := s.Remove(ctx, "data", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "data"); !errdefs.IsNotFound(err) {
		t.Fatalf("get after remove: %v", err)
	}
	if err := s.Remove(ctx, "data", false); !errdefs.IsNotFound(err) {
		t.Fatalf("remove missing: %v", err)
	}
	if err := s.Remove(ctx, "data", true); err != nil {
		t.Fatalf("force remove missing: %v", err)
	}
}

func TestCreateInvalid(t *testing.T) {
	s := newService(t, nil)
	for _, tc := range []CreateOptions{
		{Name: "a/b"}, {Name: "x"}, {Name: "-x"},
		{Name: "ok", Driver: "nfs-plugin"},
		{Name: "ok", DriverOpts: map[string]string{"bogus": "1"}},
		{Name: "ok", DriverOpts: map[string]string{"type": "nfs"}},
		{Name: "ok", DriverOpts: map[string]string{"o": "size=1m"}},
		{Name: "ok", DriverOpts: map[string]string{"type": "ext4", "device": "/dev/x", "size": "1m"}},
	} {
		if _, err := s.Create(context.Background(), tc); err == nil {
			t.Errorf("%+v: no error", tc)
		}
	}
}

func TestAnonymousAndInUse(t *testing.T) {
	ctx := context.Background()
	users := map[string][]User{}
	s := newService(t, users)
	v, err := s.Create(ctx, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Anonymous || len(v.Name) != 64 {
		t.Fatalf("anonymous volume %+v", v)
	}
	if _, ok := v.Labels[AnonymousLabel]; !ok {
		t.Fatalf("labels %v", v.Labels)
	}
	users[v.Name] = []User{{ID: "c1", Running: true}, {ID: "c2"}}
	err = s.Remove(ctx, v.Name, false)
	if !errdefs.IsConflict(err) || err.Error() != "remove "+v.Name+": volume is in use - [c1 c2]: conflict" {
		t.Fatalf("in use: %v", err)
	}
	if err := s.Remove(ctx, v.Name, true); !errdefs.IsConflict(err) {
		t.Fatalf("force with a running user: %v", err)
	}
	users[v.Name] = []User{{ID: "c2"}}
	if err := s.Remove(ctx, v.Name, true); err != nil {
		t.Fatalf("force with stopped users: %v", err)
	}
}

func TestListAndPrune(t *testing.T) {
	ctx := context.Background()
	users := map[string][]User{}
	s := newService(t, users)
	mk := func(o CreateOptions) string {
		v, err := s.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return v.Name
	}
	mk(CreateOptions{Name: "web-data", Labels: map[string]string{"app": "web"}})
	mk(CreateOptions{Name: "db-data", Labels: map[string]string{"app": "db", "keep": ""}})
	used := mk(CreateOptions{})
	anon := mk(CreateOptions{})
	users[used] = []User{{ID: "c"}}
	names := func(f map[string][]string) []string {
		vols, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vols {
			out = append(out, v.Name)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		f    map[string][]string
		want []string
	}{
		{map[string][]string{"name": {"data"}}, []string{"db-data", "web-data"}},
		{map[string][]string{"label": {"app=web"}}, []string{"web-data"}},
		{map[string][]string{"label": {"keep"}}, []string{"db-data"}},
		{map[string][]string{"dangling": {"false"}}, []string{used}},
		{map[string][]string{"driver": {"local"}, "name": {"web"}}, []string{"web-data"}},
	}
	for _, tt := range tests {
		if got := names(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v want %v", tt.f, got, tt.want)
		}
	}
	if _, err := s.List(ctx, map[string][]string{"bogus": {"1"}}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad filter: %v", err)
	}
	rep, err := s.Prune(ctx, nil)
	if err != nil || !slices.Equal(rep.VolumesDeleted, []string{anon}) {
		t.Fatalf("prune anonymous: %+v %v", rep, err)
	}
	rep, err = s.Prune(ctx, map[string][]string{"all": {"true"}, "label!": {"keep"}})
	if err != nil || !slices.Equal(rep.VolumesDeleted, []string{"web-data"}) {
		t.Fatalf("prune all but keep: %+v %v", rep, err)
	}
	if got := names(nil); !slices.Equal(got, []string{"db-data", used}) && !slices.Equal(got, []string{used, "db-data"}) {
		t.Fatalf("left %v", got)
	}
}

func TestReconcileAtStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := metadata.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root := filepath.Join(dir, "volumes")
	s, err := New(db, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, CreateOptions{Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	// A crash after the directory went but before the record did, and one
	// after a directory was made but before its record was written.
	if err := os.RemoveAll(filepath.Join(root, "kept")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "orphan", "_data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := New(db, root, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kept", "_data")); err != nil {
		t.Errorf("recorded volume's dir not restored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "orphan")); !os.IsNotExist(err) {
		t.Errorf("orphan dir kept: %v", err)
	}
}

type eventRecorder struct{ got []string }

func (r *eventRecorder) Log(action events.Action, typ events.Type, actor events.Actor) {
	r.got = append(r.got, string(typ)+" "+string(action)+" "+actor.ID+" "+actor.Attributes["container"])
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := metadata.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := &eventRecorder{}
	s, err := New(db, filepath.Join(dir, "volumes"), nil, WithEvents(rec))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s.Create(ctx, CreateOptions{Name: "ev"})
	_, _ = s.Create(ctx, CreateOptions{Name: "ev"}) // exists: no event
	_, _ = s.Mount(ctx, "ev", "c1")
	_ = s.Unmount(ctx, "ev", "c1")
	_ = s.Remove(ctx, "ev", false)
	want := []string{"volume create ev ", "volume mount ev c1", "volume unmount ev c1", "volume destroy ev "}
	if !slices.Equal(rec.got, want) {
		t.Fatalf("events %q, want %q", rec.got, want)
	}
}
