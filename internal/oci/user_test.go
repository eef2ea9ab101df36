package oci

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
)

func writeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\nberth:x:1000:1000:berth:/home/berth:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	group := "root:x:0:\nberth:x:1000:\nwheel:x:10:berth,root\naudio:x:29:berth\nnogroup:x:65534:\n"
	for name, data := range map[string]string{"passwd": passwd, "group": group} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolveUser(t *testing.T) {
	root := writeRootfs(t)
	tests := []struct {
		spec     string
		uid, gid uint32
		gids     []uint32
		home     string
		wantErr  string
	}{
		{spec: "", uid: 0, gid: 0, gids: []uint32{0, 10}, home: "/root"},
		{spec: "root", uid: 0, gid: 0, gids: []uint32{0, 10}, home: "/root"},
		{spec: "berth", uid: 1000, gid: 1000, gids: []uint32{1000, 10, 29}, home: "/home/berth"},
		{spec: "1000", uid: 1000, gid: 1000, gids: []uint32{1000, 10, 29}, home: "/home/berth"},
		{spec: "berth:wheel", uid: 1000, gid: 10, gids: []uint32{10}, home: "/home/berth"},
		{spec: "1000:29", uid: 1000, gid: 29, gids: []uint32{29}, home: "/home/berth"},
		{spec: "4242", uid: 4242, gid: 0, gids: []uint32{0}, home: "/"},
		{spec: "4242:4343", uid: 4242, gid: 4343, gids: []uint32{4343}, home: "/"},
		{spec: "ghost", wantErr: "unable to find user ghost: no matching entries in passwd file"},
		{spec: "berth:ghosts", wantErr: "unable to find group ghosts: no matching entries in group file"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			u, home, err := ResolveUser(root, tt.spec)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("err = %v, want invalid argument %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.UID != tt.uid || u.GID != tt.gid || !slices.Equal(u.AdditionalGids, tt.gids) || home != tt.home {
				t.Errorf("got %+v home %q", u, home)
			}
		})
	}
}

// A symlinked /etc/passwd pointing at an absolute host path must resolve
// inside the rootfs, never to the host's file.
func TestResolveUserSymlinkStaysInRootfs(t *testing.T) {
	host := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(host, []byte("ghost:x:7:7::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{host, "/etc/passwd"} { // escape; loop
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, "etc", "passwd")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ResolveUser(root, "ghost"); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("symlink to %s: err = %v, want user not found", target, err)
		}
		if u, home, err := ResolveUser(root, "7:7"); err != nil || u.UID != 7 || home != "/" {
			t.Fatalf("numeric user without passwd: %+v %q %v", u, home, err)
		}
	}
}
