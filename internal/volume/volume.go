package volume

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/volume/local"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
)

const bucket = "volumes"

// AnonymousLabel marks volumes created without a name (Docker's label;
// prune removes only these unless all=true).
const AnonymousLabel = "com.docker.volume.anonymous"

// Volume is the persistent record of one volume.
type Volume struct {
	Name      string
	Driver    string
	Labels    map[string]string `json:",omitempty"`
	Options   map[string]string `json:",omitempty"`
	CreatedAt time.Time
	Anonymous bool `json:",omitempty"`
}

// User is a container that references a volume.
type User struct {
	ID      string
	Running bool
}

// UsersFunc lists the containers that reference volume name.
type UsersFunc func(name string) []User

// Service is the volume store.
type Service struct {
	db     *metadata.DB
	driver *local.Driver
	users  UsersFunc
	events EventLogger
	mu     sync.Mutex // serializes create/remove of records
}

// New opens the store with volume data under root.
func New(db *metadata.DB, root string, users UsersFunc, opts ...Option) (*Service, error) {
	d, err := local.New(root)
	if err != nil {
		return nil, err
	}
	if users == nil {
		users = func(string) []User { return nil }
	}
	s := &Service{db: db, driver: d, users: users}
	for _, o := range opts {
		o(s)
	}
	if err := s.reconcile(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// CreateOptions is the request to create a volume.
type CreateOptions struct {
	Name       string // "" makes an anonymous volume with a random name
	Driver     string // "" or "local"
	DriverOpts map[string]string
	Labels     map[string]string
}

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// ValidateName reports whether name is a valid local volume name, with
// Docker's message.
func ValidateName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path: %w", name, name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// Create makes a volume, or returns the existing one of that name.
func (s *Service) Create(ctx context.Context, opts CreateOptions) (*Volume, error) {
	if opts.Driver != "" && opts.Driver != local.Name {
		return nil, fmt.Errorf("create %s: error looking up volume plugin %s: plugin %q not found: %w", opts.Name, opts.Driver, opts.Driver, errdefs.ErrNotFound)
	}
	v := &Volume{Name: opts.Name, Driver: local.Name, Labels: opts.Labels, Options: opts.DriverOpts, CreatedAt: time.Now().UTC()}
	if v.Name == "" {
		v.Name, v.Anonymous = randomName(), true
		v.Labels = withLabel(v.Labels, AnonymousLabel, "")
	}
	if err := ValidateName(v.Name); err != nil {
		return nil, err
	}
	if err := s.driver.Validate(v.Options); err != nil {
		return nil, fmt.Errorf("create %s: %w", v.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, err := s.get(v.Name); err == nil {
		return old, nil
	}
	if err := s.driver.Create(ctx, v.Name, v.Options); err != nil {
		return nil, fmt.Errorf("create %s: %w", v.Name, err)
	}
	if err := s.db.Put(bucket, v.Name, v); err != nil {
		_ = s.driver.Remove(ctx, v.Name)
		return nil, err
	}
	s.emit(events.ActionCreate, v.Name, nil)
	return v, nil
}

func withLabel(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func randomName() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Get returns the volume called name.
func (s *Service) Get(ctx context.Context, name string) (*Volume, error) {
	v, err := s.get(name)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	return v, nil
}

func (s *Service) get(name string) (*Volume, error) {
	var v Volume
	if err := s.db.Get(bucket, name, &v); err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("no such volume: %w", errdefs.ErrNotFound)
		}
		return nil, err
	}
	return &v, nil
}

// All returns every volume.
func (s *Service) All(ctx context.Context) ([]*Volume, error) {
	var out []*Volume
	err := s.db.List(bucket, func(_ string, raw []byte) error {
		v, err := decode(raw)
		if err == nil {
			out = append(out, v)
		}
		return err
	})
	return out, err
}

// Path is the volume's data directory.
func (s *Service) Path(name string) string { return s.driver.Path(name) }

// Users lists the containers that reference the volume.
func (s *Service) Users(name string) []User { return s.users(name) }

// Size is the volume's disk usage in bytes.
func (s *Service) Size(name string) int64 { return s.driver.Size(name) }

// Mount makes the volume available to container user and returns its path.
func (s *Service) Mount(ctx context.Context, name, user string) (string, error) {
	v, err := s.Get(ctx, name)
	if err != nil {
		return "", err
	}
	p, err := s.driver.Mount(ctx, v.Name, user, v.Options)
	if err == nil {
		s.emit(events.ActionMount, v.Name, map[string]string{"container": user})
	}
	return p, err
}

// Unmount releases user's hold on the volume.
func (s *Service) Unmount(ctx context.Context, name, user string) error {
	v, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	if err := s.driver.Unmount(ctx, v.Name, user, v.Options); err != nil {
		return err
	}
	s.emit(events.ActionUnmount, v.Name, map[string]string{"container": user})
	return nil
}

// UnmountUnused unmounts volumes left mounted without a user (after a
// crash); call it once the running containers' holds are re-registered.
func (s *Service) UnmountUnused(ctx context.Context) {
	s.driver.UnmountUnused(ctx)
}

// Remove deletes a volume that no container uses. force ignores a missing
// volume and removes one whose users are all stopped (their mounts of it
// then fail at the next start, as with Docker's purge).
func (s *Service) Remove(ctx context.Context, name string, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get(name); err != nil {
		if force && errdefs.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := inUse(name, s.users(name), force); err != nil {
		return err
	}
	return s.remove(ctx, name)
}

func (s *Service) remove(ctx context.Context, name string) error {
	if err := s.driver.Remove(ctx, name); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := s.db.Delete(bucket, name); err != nil {
		return err
	}
	s.emit(events.ActionDestroy, name, nil)
	return nil
}

func inUse(name string, users []User, force bool) error {
	var ids []string
	for _, u := range users {
		if !force || u.Running {
			ids = append(ids, u.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return fmt.Errorf("remove %s: volume is in use - %v: %w", name, ids, errdefs.ErrConflict)
}
