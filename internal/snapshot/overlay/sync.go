package overlay

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// syncTree flushes an unpacked layer before it is renamed into place, so
// a crash cannot leave a committed layer with lost content: one syncfs of
// the filesystem holding it (cheaper than fsyncing every file).
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Supported reports whether overlayfs works under root: it mounts a tiny
// overlay in a temporary directory there and unmounts it.
func Supported(root string) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(root, ".overlay-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var dirs []string
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		p := filepath.Join(tmp, d)
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		dirs = append(dirs, p)
	}
	if err := mountOverlay(dirs[:1], dirs[1], dirs[2], dirs[3]); err != nil {
		return fmt.Errorf("overlayfs not usable on %s: %w", root, err)
	}
	return unmount(dirs[3])
}
