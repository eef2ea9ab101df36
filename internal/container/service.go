package container

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/oci"
)

// Config wires a Service to its collaborators and directories.
type Config struct {
	Root        string // <data-root>/containers: logs, hosts files, rw layers
	ExecRoot    string // <exec-root>: bundles, shim sockets (tmpfs)
	ShimBinary  string // run as `<ShimBinary> shim <flags>` per container
	InitBinary  string // bind-mounted as the container's init with --init
	Runtime     string // the default OCI runtime's binary
	RuntimeRoot string // its state dir (runc --root); others get <dir>/<name>
	// DefaultRuntime names Runtime ("runc" when empty); Runtimes are the
	// runtimes containers may name (HostConfig.Runtime), by name → binary.
	DefaultRuntime string
	Runtimes       map[string]string
	CgroupParent   string
	Images         ImageStore
	RootFS         RootFS
	Network        Networker
	Volumes        VolumeStore // nil: containers can't use volumes
	Events         EventLogger // nil: no events
	Log            *slog.Logger
}

// Service runs the container lifecycle.
type Service struct {
	cfg      Config
	store    *store
	log      *slog.Logger
	shutdown chan struct{}
	cgroupns bool                  // private cgroup namespaces (cgroup v2 hosts, as Docker)
	runtimes map[string]ociRuntime // by name, the default included
	stopOnce sync.Once
	execs    execStore // exec instances (exec.go)
	restarts restarter
	seccomp  seccompCache // filters crun compiled (seccompcache.go)
	// exiting counts exits being recorded and released (monitor.exited):
	// Close lets them finish, so that a --rm container's network, mounts
	// and files are not left to the next start's repair.
	exiting atomic.Int32
}

// New loads container records from db. Call Restore before serving.
func New(db *metadata.DB, cfg Config) (*Service, error) {
	for _, d := range []string{cfg.Root, filepath.Join(cfg.ExecRoot, "containers"), filepath.Join(cfg.ExecRoot, "s")} {
		if err := os.MkdirAll(d, 0o710); err != nil {
			return nil, err
		}
	}
	spreadSubdirs(cfg.Root)
	st, err := newStore(db)
	if err != nil {
		return nil, err
	}
	if cfg.DefaultRuntime == "" {
		cfg.DefaultRuntime = "runc"
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Service{
		cfg: cfg, store: st, log: log, shutdown: make(chan struct{}), cgroupns: oci.UnifiedCgroups(),
		runtimes: runtimes(cfg),
	}, nil
}

func (s *Service) dataDir(id string) string   { return filepath.Join(s.cfg.Root, id) }
func (s *Service) bundleDir(id string) string { return filepath.Join(s.cfg.ExecRoot, "containers", id) }
func (s *Service) socketPath(id string) string {
	return filepath.Join(s.cfg.ExecRoot, "s", id[:12]+".sock")
}

// Get returns the container named by ref (ID, name or ID prefix).
func (s *Service) Get(ref string) (*Container, error) { return s.store.get(ref) }

// All returns every container, newest first.
func (s *Service) All() []*Container { return s.store.all() }

// ImageInUse reports a container using image id ("" if none), for image
// removal conflicts.
func (s *Service) ImageInUse(id string) *Container {
	for _, c := range s.store.all() {
		if c.ImageID == id {
			return c
		}
	}
	return nil
}

// Close releases the Service's connections to shims; containers keep
// running.
func (s *Service) Close(ctx context.Context) {
	s.stopOnce.Do(func() { close(s.shutdown) })
	for deadline := time.Now().Add(5 * time.Second); s.exiting.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range s.store.all() {
		c.mu.Lock()
		if c.monitor != nil {
			c.monitor.close()
		}
		c.mu.Unlock()
	}
}
