package container

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
)

func TestParseBind(t *testing.T) {
	tests := []struct {
		in   string
		want MountPoint
		err  bool
	}{
		{in: "/data", want: MountPoint{Type: mount.TypeVolume, Destination: "/data", RW: true, CopyData: true}},
		{in: "vol:/data:ro,nocopy", want: MountPoint{Type: mount.TypeVolume, Name: "vol", Destination: "/data", Mode: "ro,nocopy"}},
		{in: "/src/:/dst/:rw,rslave,z", want: MountPoint{Type: mount.TypeBind, Source: "/src", Destination: "/dst", Mode: "rw,rslave,z", RW: true, Propagation: mount.PropagationRSlave, CreateSource: true}},
		{in: "/src:/dst:Z", want: MountPoint{Type: mount.TypeBind, Source: "/src", Destination: "/dst", Mode: "Z", RW: true, CreateSource: true}},
		{in: "vol:rel", err: true},
		{in: "vol:/", err: true},
		{in: "vol:/d:bogus", err: true},
		{in: "vol:/d:rslave", err: true},
		{in: "/src:/d:nocopy", err: true},
		{in: "a:b:c:d", err: true},
		{in: ":/d", err: true},
	}
	for _, tt := range tests {
		got, err := parseBind(tt.in)
		if tt.err {
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%q: err %v, want invalid argument", tt.in, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%q: got %+v, %v\nwant %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestFromMount(t *testing.T) {
	tests := []struct {
		in  mount.Mount
		err bool
		chk func(*MountPoint) bool
	}{
		{in: mount.Mount{Type: mount.TypeBind, Source: "/s", Target: "/t", ReadOnly: true},
			chk: func(m *MountPoint) bool { return m.Source == "/s" && !m.RW && !m.CreateSource }},
		{in: mount.Mount{Type: mount.TypeVolume, Source: "v", Target: "/t", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
			chk: func(m *MountPoint) bool { return m.Name == "v" && !m.CopyData && m.RW }},
		{in: mount.Mount{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
			chk: func(m *MountPoint) bool { return m.Tmpfs.SizeBytes == 1<<20 }},
		{in: mount.Mount{Type: mount.TypeBind, Source: "rel", Target: "/t"}, err: true},
		{in: mount.Mount{Type: mount.TypeBind, Target: "/t"}, err: true},
		{in: mount.Mount{Type: mount.TypeTmpfs, Source: "x", Target: "/t"}, err: true},
		{in: mount.Mount{Type: "npipe", Source: "x", Target: "/t"}, err: true},
		{in: mount.Mount{Type: mount.TypeVolume, Source: "v"}, err: true},
		{in: mount.Mount{Type: mount.TypeVolume, Source: "v", Target: "/t", VolumeOptions: &mount.VolumeOptions{Subpath: "a"}}, err: true},
	}
	for _, tt := range tests {
		got, err := fromMount(tt.in)
		if tt.err != (err != nil) || err == nil && !tt.chk(got) {
			t.Errorf("%+v: %+v, %v", tt.in, got, err)
		}
	}
}

func TestMountpointStaysInRoot(t *testing.T) {
	root := t.TempDir()
	host := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"abs": host, "rel": "../../../../../.." + host, "file": "/etc/passwd"} {
		if err := os.Symlink(target, filepath.Join(root, "etc", name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, dst := range []string{"/etc/abs", "/etc/rel"} {
		got, err := mountpoint(root, dst, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != host { // the link target, resolved inside root
			t.Errorf("%s resolved to %s", dst, got)
		}
		if fi, err := os.Lstat(filepath.Join(root, got)); err != nil || !fi.IsDir() {
			t.Errorf("%s: mount point not created inside root: %v", dst, err)
		}
	}
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := mountpoint(root, "/etc/file", src)
	if err != nil || got != "/etc/passwd" {
		t.Fatalf("file mount point %q %v", got, err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "etc/passwd")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("file mount point: %v", err)
	}
	if ents, _ := os.ReadDir(host); len(ents) != 0 {
		t.Fatalf("host dir touched: %v", ents)
	}
}

func TestCopyUpNoFollow(t *testing.T) {
	root, vol, outside := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "data")
	if err := os.MkdirAll(filepath.Join(data, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "sub", "f"), []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(data, "out")); err != nil {
		t.Fatal(err)
	}
	if err := copyUp(root, "/data", vol); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "sub", "f")); err != nil || string(b) != "hello" {
		t.Fatalf("copied file %q %v", b, err)
	}
	if fi, err := os.Lstat(filepath.Join(vol, "out")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink not copied as a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(vol, "out", "secret")); err == nil {
		if fi, _ := os.Lstat(filepath.Join(vol, "out")); fi.IsDir() {
			t.Fatal("symlink target copied")
		}
	}
	// A non-empty volume is left alone.
	if err := os.Remove(filepath.Join(vol, "sub", "f")); err != nil {
		t.Fatal(err)
	}
	if err := copyUp(root, "/data", vol); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(vol, "sub", "f")); !os.IsNotExist(err) {
		t.Fatalf("non-empty volume refilled: %v", err)
	}
}
