package volume

import (
	"archive/tar"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMounts covers -v, --mount and --volumes-from through the docker CLI.
func TestMounts(t *testing.T) {
	e := newEnv(t)
	t.Run("data survives container removal", func(t *testing.T) {
		e.ok(t, "run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c", "echo persisted > /data/f")
		if out := e.ok(t, "run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/f"); out != "persisted\n" {
			t.Fatalf("read back %q", out)
		}
		if out := e.ok(t, "volume", "ls", "-q"); !strings.Contains(out, "keep\n") {
			t.Fatalf("named volume removed with its --rm container: %q", out)
		}
	})
	t.Run("read-only mounts refuse writes", func(t *testing.T) {
		e.fails(t, "Read-only file system", "run", "--rm", "-v", "keep:/data:ro", "busybox", "sh", "-c", "echo x > /data/g")
		e.fails(t, "Read-only file system", "run", "--rm", "--mount", "type=volume,src=keep,dst=/data,readonly", "busybox", "touch", "/data/g")
		dir := t.TempDir()
		e.fails(t, "Read-only file system", "run", "--rm", "-v", dir+":/host:ro,z", "busybox", "touch", "/host/x")
		if out := e.ok(t, "run", "--rm", "-v", "keep:/data:ro", "busybox", "cat", "/data/f"); out != "persisted\n" {
			t.Fatalf("ro read %q", out)
		}
	})
	t.Run("bind mounts", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "in"), []byte("from host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := e.ok(t, "run", "--rm", "-v", dir+":/host:Z", "busybox", "sh", "-c", "cat /host/in; echo back > /host/out")
		if out != "from host\n" {
			t.Fatalf("read %q", out)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "out")); string(data) != "back\n" {
			t.Fatalf("host sees %q", data)
		}
		out = e.ok(t, "run", "--rm", "--mount", "type=bind,src="+filepath.Join(dir, "in")+",dst=/etc/motd,bind-propagation=rslave", "busybox", "cat", "/etc/motd")
		if out != "from host\n" {
			t.Fatalf("file bind %q", out)
		}
	})
	t.Run("bind source missing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing")
		e.fails(t, "bind source path does not exist: "+missing, "run", "--rm", "--mount", "type=bind,src="+missing+",dst=/x", "busybox", "true")
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("--mount created the source: %v", err)
		}
		e.ok(t, "run", "--rm", "-v", missing+":/x", "busybox", "true")
		if fi, err := os.Stat(missing); err != nil || !fi.IsDir() {
			t.Fatalf("-v did not create the source dir: %v", err)
		}
	})
	t.Run("bad specs", func(t *testing.T) {
		e.fails(t, "Duplicate mount point", "run", "--rm", "-v", "a1:/d", "--mount", "type=volume,src=a2,dst=/d", "busybox", "true")
		e.fails(t, "invalid mode", "run", "--rm", "-v", "a1:/d:bogus", "busybox", "true")
		e.fails(t, "invalid characters", "run", "--rm", "-v", "a$b:/d", "busybox", "true")
		e.fails(t, "No such container: nosuch", "run", "--rm", "--volumes-from", "nosuch", "busybox", "true")
	})
	t.Run("volumes-from", func(t *testing.T) {
		e.ok(t, "create", "--name", "vfsrc", "-v", "shared:/shared", "-v", "/anon", "busybox", "true")
		e.ok(t, "run", "--rm", "--volumes-from", "vfsrc", "busybox", "sh", "-c", "echo a > /shared/a; echo b > /anon/b")
		if out := e.ok(t, "run", "--rm", "--volumes-from", "vfsrc:ro", "busybox", "cat", "/shared/a", "/anon/b"); out != "a\nb\n" {
			t.Fatalf("read through volumes-from: %q", out)
		}
		e.fails(t, "Read-only file system", "run", "--rm", "--volumes-from", "vfsrc:ro", "busybox", "touch", "/shared/c")
		e.ok(t, "rm", "vfsrc")
	})
	t.Run("tmpfs mount", func(t *testing.T) {
		out := e.ok(t, "run", "--rm", "--mount", "type=tmpfs,dst=/scratch,tmpfs-size=1m", "busybox", "grep", " /scratch ", "/proc/mounts")
		if !strings.Contains(out, "tmpfs /scratch tmpfs") || !strings.Contains(out, "size=1024k") {
			t.Fatalf("mounts %q", out)
		}
	})
	t.Run("inspect and ps", func(t *testing.T) {
		dir := t.TempDir()
		id := strings.TrimSpace(e.ok(t, "create", "--name", "insp", "-v", "named:/n:ro", "-v", dir+":/b", "busybox", "true"))
		var mounts []struct {
			Type, Name, Source, Destination, Driver, Propagation string
			RW                                                   bool
		}
		if err := json.Unmarshal([]byte(e.ok(t, "inspect", "-f", "{{json .Mounts}}", id)), &mounts); err != nil || len(mounts) != 2 {
			t.Fatalf("mounts %+v %v", mounts, err)
		}
		b, n := mounts[0], mounts[1]
		if b.Type != "bind" || b.Source != dir || b.Destination != "/b" || !b.RW || b.Propagation != "rprivate" {
			t.Errorf("bind %+v", b)
		}
		if n.Type != "volume" || n.Name != "named" || n.Driver != "local" || n.RW || !strings.HasSuffix(n.Source, "/volumes/named/_data") {
			t.Errorf("volume %+v", n)
		}
		if out := e.ok(t, "ps", "-a", "--filter", "name=insp", "--format", "{{.Mounts}}"); !strings.Contains(out, "named") {
			t.Errorf("ps mounts %q", out)
		}
		if out := e.ok(t, "ps", "-aq", "--no-trunc", "--filter", "volume=named"); out != id+"\n" {
			t.Errorf("ps --filter volume=named: %q", out)
		}
		if out := e.ok(t, "ps", "-aq", "--filter", "volume=/nowhere"); out != "" {
			t.Errorf("ps --filter volume=/nowhere: %q", out)
		}
		e.ok(t, "rm", id)
	})
}

// TestImageVolumes covers anonymous volumes from VOLUME, copy-up of image
// content, nocopy and rm -v.
func TestImageVolumes(t *testing.T) {
	e := newEnv(t)
	e.importImage(t, "withvol", []tar.Header{
		{Typeflag: tar.TypeDir, Name: "data/", Mode: 0o750, Uid: 1000, Gid: 1000},
		{Typeflag: tar.TypeReg, Name: "data/hello.txt", Mode: 0o640, Uid: 1000, Gid: 1000},
		{Typeflag: tar.TypeSymlink, Name: "data/etc-link", Linkname: "/etc"},
	}, map[string]string{"data/hello.txt": "from image\n"}, "VOLUME /data")

	t.Run("anonymous volume from image VOLUME", func(t *testing.T) {
		out := e.ok(t, "run", "--name", "anon", "withvol", "sh", "-c", "cat /data/hello.txt; stat -c '%u:%g %a' /data /data/hello.txt")
		if out != "from image\n1000:1000 750\n1000:1000 640\n" {
			t.Fatalf("copy-up: %q", out)
		}
		name := strings.TrimSpace(e.ok(t, "inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}", "anon"))
		f := strings.Fields(name)
		if len(f) != 3 || f[0] != "volume" || len(f[1]) != 64 || f[2] != "/data" {
			t.Fatalf("mounts %q", name)
		}
		vol := f[1]
		mp := strings.TrimSpace(e.ok(t, "volume", "inspect", "-f", "{{.Mountpoint}}", vol))
		if target, err := os.Readlink(filepath.Join(mp, "etc-link")); err != nil || target != "/etc" {
			t.Fatalf("symlink not copied as a link: %q %v", target, err)
		}
		e.ok(t, "rm", "-v", "anon")
		if out := e.ok(t, "volume", "ls", "-q"); strings.Contains(out, vol) {
			t.Fatalf("rm -v left the anonymous volume: %q", out)
		}
	})
	t.Run("rm without -v keeps the volume", func(t *testing.T) {
		e.ok(t, "run", "--name", "anon2", "withvol", "true")
		vol := strings.TrimSpace(e.ok(t, "inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "anon2"))
		e.ok(t, "rm", "anon2")
		if out := e.ok(t, "volume", "ls", "-q"); !strings.Contains(out, vol) {
			t.Fatalf("rm removed the volume: %q", out)
		}
		e.ok(t, "volume", "rm", vol)
	})
	t.Run("--rm removes anonymous volumes", func(t *testing.T) {
		before := e.ok(t, "volume", "ls", "-q")
		e.ok(t, "run", "--rm", "withvol", "true")
		waitFor(t, func() bool { return e.ok(t, "volume", "ls", "-q") == before })
	})
	t.Run("named volume copy-up and nocopy", func(t *testing.T) {
		if out := e.ok(t, "run", "--rm", "-v", "cu:/data", "withvol", "cat", "/data/hello.txt"); out != "from image\n" {
			t.Fatalf("copy-up %q", out)
		}
		e.ok(t, "run", "--rm", "-v", "cu:/data", "withvol", "rm", "/data/hello.txt")
		if out := e.ok(t, "run", "--rm", "-v", "cu:/data", "withvol", "ls", "-A", "/data"); out != "etc-link\n" {
			t.Fatalf("a used volume was filled again: %q", out)
		}
		if out := e.ok(t, "run", "--rm", "--mount", "type=volume,src=nc,dst=/data,volume-nocopy", "withvol", "ls", "-A", "/data"); out != "" {
			t.Fatalf("nocopy volume has %q", out)
		}
		if out := e.ok(t, "run", "--rm", "-v", "nc2:/data:nocopy", "withvol", "ls", "-A", "/data"); out != "" {
			t.Fatalf("nocopy volume has %q", out)
		}
	})
}

// TestSymlinkEscape: an image whose mount destination is a symlink to a
// host-looking path gets the mount inside its rootfs, never on the host.
func TestSymlinkEscape(t *testing.T) {
	e := newEnv(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "precious"), []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.importImage(t, "evil", []tar.Header{
		{Typeflag: tar.TypeSymlink, Name: "etc/target", Linkname: host},
		{Typeflag: tar.TypeSymlink, Name: "etc/rel", Linkname: "../../../../../../.." + host},
	}, nil)
	for _, dst := range []string{"/etc/target", "/etc/rel"} {
		t.Run(dst, func(t *testing.T) {
			out := e.ok(t, "run", "--rm", "-v", "esc:"+dst, "evil", "sh", "-c", "ls -A "+dst+"/; echo pwned > "+dst+"/pwned; ls -A "+host)
			if strings.Contains(out, "precious") && !strings.Contains(out, "pwned") {
				t.Fatalf("mount landed on the host dir: %q", out)
			}
			if _, err := os.Stat(filepath.Join(host, "pwned")); !os.IsNotExist(err) {
				t.Fatalf("container wrote into the host dir: %v", err)
			}
			data, _ := os.ReadFile("/proc/self/mountinfo")
			if strings.Contains(string(data), " "+host+" ") {
				t.Fatalf("host dir became a mount point")
			}
			mp := strings.TrimSpace(e.ok(t, "volume", "inspect", "-f", "{{.Mountpoint}}", "esc"))
			if _, err := os.Stat(filepath.Join(mp, "pwned")); err != nil {
				t.Fatalf("write did not reach the volume: %v", err)
			}
			e.ok(t, "volume", "rm", "esc")
		})
	}
	t.Run("bind on symlinked destination", func(t *testing.T) {
		src := t.TempDir()
		e.ok(t, "run", "--rm", "-v", src+":/etc/target", "evil", "touch", "/etc/target/marker")
		if _, err := os.Stat(filepath.Join(src, "marker")); err != nil {
			t.Fatalf("bind did not land at the resolved in-container path: %v", err)
		}
		if _, err := os.Stat(filepath.Join(host, "marker")); !os.IsNotExist(err) {
			t.Fatalf("host dir touched: %v", err)
		}
	})
}

// TestCopyIntoVolumes: docker cp reads and writes the data of a
// container's volumes and binds, and refuses read-only mounts.
func TestCopyIntoVolumes(t *testing.T) {
	e := newEnv(t)
	src := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(src, []byte("copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bind := t.TempDir()
	e.ok(t, "create", "--name", "cpc", "-v", "cpvol:/data", "-v", "rovol:/ro:ro", "-v", bind+":/bind", "busybox", "true")
	e.ok(t, "cp", src, "cpc:/data/")
	e.ok(t, "cp", src, "cpc:/bind/")
	if out := e.ok(t, "run", "--rm", "-v", "cpvol:/data", "busybox", "cat", "/data/in.txt"); out != "copied\n" {
		t.Fatalf("volume after cp: %q", out)
	}
	if data, _ := os.ReadFile(filepath.Join(bind, "in.txt")); string(data) != "copied\n" {
		t.Fatalf("bind after cp: %q", data)
	}
	out := filepath.Join(t.TempDir(), "out.txt")
	e.ok(t, "cp", "cpc:/data/in.txt", out)
	if data, _ := os.ReadFile(out); string(data) != "copied\n" {
		t.Fatalf("cp out of a volume: %q", data)
	}
	e.fails(t, "read-only", "cp", src, "cpc:/ro/")
	e.ok(t, "rm", "-v", "cpc")
}
