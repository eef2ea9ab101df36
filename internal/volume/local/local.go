package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Name is the driver's name as Docker reports it.
const Name = "local"

// Driver manages volume directories under one root.
//
// Lifecycle: Create makes <root>/<name>/_data; Mount returns that path,
// mounting the volume's filesystem first when it was created with options
// and this is its first user; Unmount drops one user and unmounts after the
// last; Remove unmounts and deletes the directory.
type Driver struct {
	root string
	mu   sync.Mutex
	refs map[string]map[string]bool // volume → users holding a mount
}

// New returns a driver rooted at root (created if missing).
func New(root string) (*Driver, error) {
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, err
	}
	return &Driver{root: root, refs: map[string]map[string]bool{}}, nil
}

// Root is the directory holding every volume.
func (d *Driver) Root() string { return d.root }

// Path is the volume's data directory (its Mountpoint).
func (d *Driver) Path(name string) string { return filepath.Join(d.root, name, "_data") }

// Validate checks driver options without creating anything.
func (d *Driver) Validate(opts map[string]string) error {
	_, err := parseOptions(opts)
	return err
}

// Create makes the volume's directory; it is idempotent.
func (d *Driver) Create(ctx context.Context, name string, opts map[string]string) error {
	if _, err := parseOptions(opts); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(d.root, name), 0o701); err != nil {
		return err
	}
	if err := os.Mkdir(d.Path(name), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// Mount makes the volume available to user and returns its path.
func (d *Driver) Mount(ctx context.Context, name, user string, opts map[string]string) (string, error) {
	m, err := parseOptions(opts)
	if err != nil {
		return "", err
	}
	p := d.Path(name)
	if m.empty() {
		return p, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	users := d.refs[name]
	if len(users) == 0 {
		if err := mountOnce(p, m); err != nil {
			return "", err
		}
		users = map[string]bool{}
		d.refs[name] = users
	}
	users[user] = true
	return p, nil
}

func mountOnce(p string, m mountOpts) error {
	if mounted, _ := mountinfo.Mounted(p); mounted {
		return nil // survived a daemon restart
	}
	if err := unix.Mount(m.Device, p, m.Type, m.Flags, m.Data); err != nil {
		return fmt.Errorf("mount %s on %s (type %s, options %q): %w", m.Device, p, m.Type, m.Data, err)
	}
	return nil
}

// Unmount releases user's hold; the last user unmounts the filesystem.
func (d *Driver) Unmount(ctx context.Context, name, user string, opts map[string]string) error {
	m, err := parseOptions(opts)
	if err != nil || m.empty() {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	users := d.refs[name]
	delete(users, user)
	if len(users) > 0 {
		return nil
	}
	delete(d.refs, name)
	return unmount(d.Path(name))
}

func unmount(p string) error {
	if mounted, _ := mountinfo.Mounted(p); !mounted {
		return nil
	}
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unmount %s: %w", p, err)
	}
	return nil
}

// UnmountUnused unmounts every volume mounted with no registered user.
func (d *Driver) UnmountUnused(ctx context.Context) {
	ents, err := os.ReadDir(d.root)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range ents {
		if len(d.refs[e.Name()]) == 0 {
			_ = unmount(d.Path(e.Name()))
		}
	}
}

// Remove unmounts and deletes the volume's directory.
func (d *Driver) Remove(ctx context.Context, name string) error {
	d.mu.Lock()
	delete(d.refs, name)
	d.mu.Unlock()
	if err := unmount(d.Path(name)); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(d.root, name)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// Size sums the sizes of the volume's regular files.
func (d *Driver) Size(name string) int64 {
	var n int64
	_ = filepath.WalkDir(d.Path(name), func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
