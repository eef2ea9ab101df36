package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/berth-engine/berth/internal/cgroup"
	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/content/local"
	"github.com/berth-engine/berth/internal/events"
	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/metadata"
	"github.com/berth-engine/berth/internal/network/bridge"
	"github.com/berth-engine/berth/internal/network/manager"
	"github.com/berth-engine/berth/internal/registry"
	"github.com/berth-engine/berth/internal/server"
	buildrouter "github.com/berth-engine/berth/internal/server/router/build"
	ctrrouter "github.com/berth-engine/berth/internal/server/router/container"
	imgrouter "github.com/berth-engine/berth/internal/server/router/image"
	netrouter "github.com/berth-engine/berth/internal/server/router/network"
	sysrouter "github.com/berth-engine/berth/internal/server/router/system"
	volrouter "github.com/berth-engine/berth/internal/server/router/volume"
	"github.com/berth-engine/berth/internal/version"
	"github.com/berth-engine/berth/internal/volume"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// Daemon holds the running services.
type Daemon struct {
	cfg         Config
	ownExecRoot bool // the exec root is on the daemon's own tmpfs (execroot.go)
	log         *slog.Logger
	db          *metadata.DB
	images      *image.Service
	events      *events.Events
	containers  *container.Service
	volumes     *volume.Service
	network     *bridge.Network
	nets        *manager.Manager
	driver      string
	started     time.Time
	runc        runtimeVersion    // the default runtime
	runtimes    map[string]string // runtimes containers may name → binary
}

// Run starts the daemon and serves until ctx is cancelled. Containers keep
// running after it returns.
func Run(ctx context.Context, cfg Config, setFlags map[string]bool) error {
	cfgFile := cfg.ConfigFile
	if cfgFile == "" {
		cfgFile = DefaultConfigFile
	}
	if err := LoadConfigFile(cfgFile, &cfg, setFlags, setFlags["config-file"]); err != nil {
		return err
	}
	cfg.applyDefaults()
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	d, err := start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.close()
	return d.serve(ctx)
}

func newLogger(level string) *slog.Logger {
	l := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
		"error": slog.LevelError, "fatal": slog.LevelError, "panic": slog.LevelError}[strings.ToLower(level)]
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func start(ctx context.Context, cfg Config, log *slog.Logger) (_ *Daemon, retErr error) {
	for _, dir := range []string{cfg.DataRoot, cfg.ExecRoot, filepath.Join(cfg.DataRoot, "network")} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return nil, err
		}
	}
	d := &Daemon{cfg: cfg, log: log, started: time.Now(), events: events.New()}
	defer func() {
		if retErr != nil {
			d.close()
		}
	}()
	var err error
	if d.db, err = metadata.Open(filepath.Join(cfg.DataRoot, "meta.db")); err != nil {
		return nil, fmt.Errorf("%w (is another berth daemon using %s?)", err, cfg.DataRoot)
	}
	// After the data root's lock: a second daemon must not cover the
	// first one's exec root.
	d.ownExecRoot = mountExecRoot(cfg.ExecRoot, log)
	cs, err := local.New(filepath.Join(cfg.DataRoot, "content"))
	if err != nil {
		return nil, err
	}
	sn, err := newSnapshotter(cfg)
	if err != nil {
		return nil, err
	}
	d.driver = sn.Name()
	rc, err := registry.New(registry.Config{Insecure: cfg.InsecureRegistries, UserAgent: "berth/" + version.Version, CertsDir: cfg.RegistryCertsDir})
	if err != nil {
		return nil, err
	}
	if d.images, err = image.New(ctx, d.db, cs, sn, image.WithRegistry(rc)); err != nil {
		return nil, err
	}
	if d.network, err = bridge.New(ctx, bridge.Config{
		BridgeName: cfg.Bridge, Subnet: cfg.FixedCIDR,
		StateFile: filepath.Join(cfg.DataRoot, "network", cfg.Bridge+".json"),
		NetNSDir:  filepath.Join(cfg.ExecRoot, "netns"),
		TableName: tableName(cfg.Bridge),
		Subnet6:   defaultSubnet6(cfg),
	}); err != nil {
		return nil, fmt.Errorf("default bridge network: %w", err)
	}
	if d.nets, err = manager.New(ctx, manager.Config{
		StateDir: filepath.Join(cfg.DataRoot, "network", "networks"), NetNSDir: filepath.Join(cfg.ExecRoot, "netns"), Log: log,
		Default: &manager.Predefined{ID: networkBackend{d}.predefinedID("bridge"), Name: "bridge", Bridge: d.network},
	}); err != nil {
		return nil, fmt.Errorf("user networks: %w", err)
	}
	if cfg.CgroupFavorDynMods == nil || *cfg.CgroupFavorDynMods {
		if mnt, err := cgroup.FavorDynMods(); err != nil {
			log.Warn("cgroup favordynmods not turned on: container starts wait for the kernel", "err", err)
		} else if mnt != "" {
			log.Info("turned on cgroup favordynmods for faster container starts", "mount", mnt)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	runtimePath, err := lookRuntime(self, cfg.DefaultRuntime)
	if err != nil {
		return nil, fmt.Errorf("OCI runtime %q: %w", cfg.DefaultRuntime, err)
	}
	if _, stale, _ := currentBerthCrun(self); stale != "" {
		installed, _ := installedCrun()
		log.Warn("berth-crun was built from another crun than the installed one: the system's crun runs until `make build` rebuilds it",
			"built-from", stale, "installed", installed)
	}
	d.runc = probeRuntime(runtimePath)
	d.runtimes = knownRuntimes(self, cfg.DefaultRuntime, runtimePath)
	if d.volumes, err = volume.New(d.db, filepath.Join(cfg.DataRoot, "volumes"), d.volumeUsers, volume.WithEvents(d.events)); err != nil {
		return nil, err
	}
	if d.containers, err = container.New(d.db, container.Config{
		Root: filepath.Join(cfg.DataRoot, "containers"), ExecRoot: cfg.ExecRoot,
		ShimBinary: shimBinary(self), InitBinary: self, Runtime: runtimePath, RuntimeRoot: filepath.Join(cfg.ExecRoot, filepath.Base(cfg.DefaultRuntime)),
		DefaultRuntime: cfg.DefaultRuntime, Runtimes: d.runtimes,
		CgroupParent: cfg.CgroupParent, Images: d.images, RootFS: sn,
		Network: netAdapter{d.network, d.nets}, Log: log, Events: d.events, Volumes: d.volumes,
	}); err != nil {
		return nil, err
	}
	d.restore(ctx)
	d.containers.RestartOnBoot(ctx)
	return d, nil
}

// restore reconnects running containers, then frees what crashed work left
// behind: network namespaces and veths of gone containers, unreferenced
// layers and blobs.
func (d *Daemon) restore(ctx context.Context) {
	running := d.containers.Restore(ctx)
	keep := map[string]bool{}
	for id, ep := range running {
		keep[id] = true
		d.restoreEndpoint(id, ep)
	}
	d.restoreVolumes(ctx, keep)
	d.restoreNetworks(ctx, keep)
	if err := d.network.Prune(ctx, keep); err != nil {
		d.log.Warn("prune network leftovers", "err", err)
	}
	if err := d.images.GC(ctx); err != nil {
		d.log.Warn("image garbage collection", "err", err)
	}
}

func tableName(bridgeName string) string {
	if bridgeName == DefaultBridge {
		return "berth"
	}
	return "berth-" + bridgeName
}

func (d *Daemon) serve(ctx context.Context) error {
	srv := server.New(d.log, version.Version,
		sysrouter.Routes(d),
		sysrouter.EventsRoutes(d.events),
		ctrrouter.Routes(d.containers, func(ctx context.Context, ref string) (string, bool) {
			img, err := d.images.Get(ctx, ref)
			if err != nil {
				return "", false
			}
			return img.ID.String(), true
		}),
		imgrouter.Routes(imageEvents{d.images, d.events}, d.imageInUse),
		imgrouter.CommitRoutes(committer{d}),
		sysrouter.DiskUsageRoutes(diskUsage{d}),
		ctrrouter.ExportRoutes(d.containers),
		volrouter.Routes(d.volumes),
		netrouter.Routes(networkBackend{d}),
		buildrouter.Routes(d.builder()),
	)
	listeners, err := d.listen()
	if err != nil {
		return err
	}
	if d.cfg.Pidfile != "" {
		if err := atomicfile.Write(d.cfg.Pidfile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return err
		}
		defer os.Remove(d.cfg.Pidfile)
	}
	errc := make(chan error, len(listeners))
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- srv.Serve(l)
		}()
	}
	d.log.Info("berth daemon ready", "hosts", d.cfg.Hosts, "data-root", d.cfg.DataRoot, "storage-driver", d.driver, "bridge", d.cfg.Bridge, "subnet", d.network.Subnet().String())
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	for _, l := range listeners {
		_ = l.Close()
	}
	wg.Wait()
	return err
}

func (d *Daemon) listen() ([]net.Listener, error) {
	var out []net.Listener
	for _, h := range d.cfg.Hosts {
		proto, addr, ok := strings.Cut(h, "://")
		if !ok || proto != "unix" {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("unsupported host %q: only unix:// sockets are served: %w", h, errdefs.ErrInvalidArgument)
		}
		l, err := listenUnix(addr)
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// listenUnix replaces a stale socket (but never a live daemon's) and
// restricts it to root and the "berth" (or "docker") group, mode 0660.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another daemon is already listening on %s: %w", path, errdefs.ErrConflict)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	gid := 0
	for _, name := range []string{"berth", "docker"} {
		if g, err := user.LookupGroup(name); err == nil {
			gid, _ = strconv.Atoi(g.Gid)
			break
		}
	}
	if err := os.Chown(path, 0, gid); err != nil {
		l.Close()
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (d *Daemon) close() {
	if d.nets != nil {
		d.nets.Close()
	}
	if d.containers != nil {
		d.containers.Close(context.Background())
	}
	// Before the data root's lock goes: the next daemon may mount its own.
	if d.ownExecRoot {
		unmountExecRoot(d.cfg.ExecRoot, d.log)
	}
	if d.db != nil {
		_ = d.db.Close()
	}
}

func (d *Daemon) imageInUse(id digest.Digest) string {
	c := d.containers.ImageInUse(id.String())
	if c == nil {
		return ""
	}
	state := "stopped"
	if c.Snapshot().Running() {
		state = "running"
	}
	return state + " container " + container.ShortID(c.ID)
}
