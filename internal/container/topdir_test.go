package container

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestSpreadSubdirs(t *testing.T) {
	dir := t.TempDir()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS); err != nil {
		t.Skipf("no inode flags here: %v", err)
	}
	spreadSubdirs(dir)
	spreadSubdirs(dir) // again: a no-op
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == unix.EXT4_SUPER_MAGIC && flags&fsTopdirFlag == 0 {
		t.Fatalf("ext4 directory flags %#x lack the top-directory flag", flags)
	}
}
