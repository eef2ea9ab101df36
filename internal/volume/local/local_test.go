package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/moby/sys/mountinfo"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		opts    map[string]string
		wantErr bool
		data    string
	}{
		{opts: nil},
		{opts: map[string]string{"type": "tmpfs", "o": "size=1m,uid=1000"}, data: "size=1m,uid=1000"},
		{opts: map[string]string{"type": "tmpfs", "size": "2m"}, data: "size=2097152"},
		{opts: map[string]string{"type": "none", "device": "/srv", "o": "bind"}},
		{opts: map[string]string{"type": "nfs"}, wantErr: true},
		{opts: map[string]string{"o": "ro"}, wantErr: true},
		{opts: map[string]string{"bogus": "x"}, wantErr: true},
		{opts: map[string]string{"type": "ext4", "device": "/dev/sda", "size": "1m"}, wantErr: true},
	}
	for _, tt := range tests {
		m, err := parseOptions(tt.opts)
		if (err != nil) != tt.wantErr || err == nil && m.Data != tt.data {
			t.Errorf("%v: %+v, %v", tt.opts, m, err)
		}
	}
}

func TestTmpfsMountedWhileUsed(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	d, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
	if err := d.Create(ctx, "t", opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Remove(ctx, "t") })
	for _, user := range []string{"a", "b"} {
		if _, err := d.Mount(ctx, "t", user, opts); err != nil {
			t.Fatal(err)
		}
	}
	mounted := func() bool { ok, _ := mountinfo.Mounted(d.Path("t")); return ok }
	if !mounted() {
		t.Fatal("not mounted")
	}
	if err := os.WriteFile(filepath.Join(d.Path("t"), "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = d.Unmount(ctx, "t", "a", opts)
	if !mounted() {
		t.Fatal("unmounted while b still uses it")
	}
	_ = d.Unmount(ctx, "t", "b", opts)
	if mounted() {
		t.Fatal("still mounted after the last user")
	}
	if err := d.Remove(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(d.Path("t")))); !os.IsNotExist(err) {
		t.Fatalf("volume dir left: %v", err)
	}
}

func TestUnmountUnused(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	d, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{"type": "tmpfs", "device": "tmpfs"}
	for _, n := range []string{"used", "stale"} {
		if err := d.Create(ctx, n, opts); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.Remove(ctx, n) })
		if _, err := d.Mount(ctx, n, "c", opts); err != nil {
			t.Fatal(err)
		}
	}
	d.mu.Lock()
	delete(d.refs, "stale") // as after a daemon restart
	d.mu.Unlock()
	d.UnmountUnused(ctx)
	if ok, _ := mountinfo.Mounted(d.Path("stale")); ok {
		t.Error("stale volume still mounted")
	}
	if ok, _ := mountinfo.Mounted(d.Path("used")); !ok {
		t.Error("used volume unmounted")
	}
}
