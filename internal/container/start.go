package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/berth-engine/berth/internal/oci"
	"github.com/berth-engine/berth/internal/runtime"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Start starts a created or stopped container. Attach clients registered
// before the start receive all of its output.
func (s *Service) Start(ctx context.Context, ref string) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.snapshot()
	switch {
	case st.Removed || st.Status == ctr.StateRemoving:
		return fmt.Errorf("container %s is marked for removal and cannot be started: %w", c.ID, errdefs.ErrConflict)
	case st.Running():
		return fmt.Errorf("container %s already started: %w", c.ID, errdefs.ErrNotModified)
	}
	// The previous run's exit handling may still be in progress; a --rm
	// container may have removed itself meanwhile.
	exitHandled(c)
	if st := c.snapshot(); st.Removed {
		return fmt.Errorf("container %s is marked for removal and cannot be started: %w", c.ID, errdefs.ErrConflict)
	} else if st.Running() {
		return fmt.Errorf("container %s already started: %w", c.ID, errdefs.ErrNotModified)
	}
	s.resetRestart(c)
	if err := s.start(ctx, c); err != nil {
		s.failStart(c, err)
		if c.HostConfig.AutoRemove {
			go func() { _ = s.Remove(context.Background(), c.ID, RemoveOptions{Force: true}) }()
		}
		return err
	}
	return nil
}

func (s *Service) start(ctx context.Context, c *Container) (retErr error) {
	t0 := time.Now()
	lap := func(step string) {
		s.log.Debug("start step", "container", ShortID(c.ID), "step", step, "at", time.Since(t0))
	}
	defer lap("done")
	// The shim's process starts first: its exec and Go start-up (3 ms)
	// overlap with the mount, network and spec below.
	pending := runtime.Launch(s.cfg.ShimBinary)
	defer pending.Abort()
	rootfs, err := s.cfg.RootFS.Mount(ctx, c.ID, c.ChainID)
	if err != nil {
		return fmt.Errorf("mount rootfs: %w", err)
	}
	lap("mount")
	rt := s.runtimeFor(c)
	var netns string
	var net2 *netJob // the network's second half, when it overlaps the create
	if rt.createsThenStarts && isDefaultBridge(c.HostConfig.NetworkMode) && s.cfg.Network != nil {
		netns, net2, err = s.startNetwork(ctx, c)
	} else {
		netns, err = s.setupNetwork(ctx, c)
	}
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			if net2 != nil {
				_ = net2.wait()
				_ = s.cfg.Network.Detach(context.WithoutCancel(ctx), c.ID) // the netns, if nothing else
			}
			s.teardownNetwork(context.WithoutCancel(ctx), c)
		}
	}()
	lap("network")
	spec, err := s.spec(c, rootfs, netns)
	if err != nil {
		return err
	}
	if err := s.mountVolumes(ctx, c, rootfs, spec); err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			s.unmountVolumes(context.WithoutCancel(ctx), c)
		}
	}()
	compilesSeccomp := rt.takesSeccompBPF && s.seccomp.apply(rt.name, spec)
	bundle := s.bundleDir(c.ID)
	if err := writeBundle(bundle, spec); err != nil {
		return err
	}
	lap("spec")
	sh, pid, err := pending.Run(ctx, runtime.StartOptions{
		ID: c.ID, Bundle: bundle, ShimBinary: s.cfg.ShimBinary,
		Runtime: rt.path, RuntimeRoot: rt.root, RuntimeFile: rt.sealed, RuntimeLink: rt.link,
		SocketPath: s.socketPath(c.ID),
		Tty:        c.Config.Tty, OpenStdin: c.Config.OpenStdin, StdinOnce: c.Config.StdinOnce,
		LogPath: s.logPath(c), LogMaxSize: logMaxSize(c), LogMaxFiles: logMaxFiles(c),
		HoldStart: net2 != nil,
	})
	if err != nil {
		return err
	}
	if net2 != nil {
		// The container exists, held before its process: it runs once its
		// network is complete.
		err := net2.wait()
		if err == nil {
			err = sh.StartHeld(ctx)
		}
		if err != nil {
			// Killed, and its output released, so that the shim finishes
			// (runtime state, cgroup) at once.
			_ = sh.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
			_ = sh.Release(context.WithoutCancel(ctx))
			return err
		}
	}
	lap("runtime")
	m := newMonitor(sh)
	m.waitEarly()
	if compilesSeccomp {
		s.seccomp.learn(rt.name, spec, rt.root, c.ID)
	}
	c.monitor = m
	// The attach streams connect, then the shim releases the output. The
	// shim keeps every byte until the release, so without stdin this goes
	// on on another goroutine and the start need not wait for these round
	// trips. With stdin it is done first, as the client may be sending
	// input already (a client's connection closed with input unread is
	// reset, and the client sees an error instead of the exit code).
	tty := c.Config.Tty
	connect := func(ctx context.Context) {
		c.attach.connectAll(ctx, sh, tty)
		if err := sh.Release(ctx); err != nil {
			s.log.Warn("release shim output", "container", c.ID, "err", err)
		}
	}
	if c.Config.OpenStdin {
		connect(ctx)
	} else {
		go connect(context.WithoutCancel(ctx))
	}
	lap("attach")
	c.setState(func(st *State) {
		*st = State{Status: ctr.StateRunning, Pid: pid, StartedAt: time.Now().UTC(), exits: st.exits}
	})
	s.startHealth(c, m)
	s.watchOOM(c, m)
	// The record says running once a disk sync completes, 1.5-3.5 ms on
	// this machine kind: the start is answered meanwhile. Should the
	// daemon die first, the record says created, and Restore adopts the
	// container by its shim's socket.
	go func() {
		if err := s.store.save(c); err != nil {
			s.log.Error("save container state", "container", c.ID, "err", err)
		}
	}()
	s.emit(c, events.ActionStart, nil)
	c.notify()
	go s.watch(c, m)
	return nil
}

// failStart records a failed start the way Docker does: exit code 126/127
// when the command cannot be run, 128 otherwise... reported as 125 by the CLI.
func (s *Service) failStart(c *Container, err error) {
	code := runtime.ExitCodeFromStartError(err)
	c.setState(func(st *State) {
		st.Status = ctr.StateExited
		if c.State.StartedAt.IsZero() {
			st.Status = ctr.StateCreated
		}
		st.ExitCode = code
		st.Error = err.Error()
		st.Pid = 0
	})
	_ = s.store.save(c)
	c.attach.failAll(err)
	c.notify()
}

func (s *Service) logPath(c *Container) string {
	if c.HostConfig.LogConfig.Type == "none" {
		return ""
	}
	return c.LogPath
}

func (s *Service) setupNetwork(ctx context.Context, c *Container) (string, error) {
	switch {
	case c.HostConfig.NetworkMode.IsHost(), c.HostConfig.NetworkMode.IsNone():
		return "", s.writeHostFiles(c, nil)
	case c.HostConfig.NetworkMode.IsContainer():
		return s.joinContainerNetwork(c)
	}
	if _, err := s.resolveLinks(c); err != nil {
		return "", err
	}
	ep, err := s.cfg.Network.Attach(ctx, attachRequest(c))
	if err != nil {
		return "", fmt.Errorf("network setup: %w", err)
	}
	err = s.publishPorts(ctx, c, ep)
	c.setNetwork(ep)
	if err == nil {
		err = s.writeHostFiles(c, net.ParseIP(ep.IP))
	}
	if err != nil {
		_ = s.cfg.Network.Detach(context.WithoutCancel(ctx), c.ID)
		c.setNetwork(nil)
		return "", err
	}
	return ep.NetNSPath, nil
}

// netJob is work running beside a start.
type netJob struct {
	done chan struct{}
	err  error
}

func (j *netJob) wait() error {
	<-j.done
	return j.err
}

// startNetwork does the default bridge's part of a start in two halves:
// now, the netns and the container's /etc files, which the runtime needs
// to create the container; the veth, address, routes and published ports
// on another goroutine, which the runtime's create (7-10 ms) hides. The
// start waits for it before the container's process runs.
func (s *Service) startNetwork(ctx context.Context, c *Container) (string, *netJob, error) {
	if _, err := s.resolveLinks(c); err != nil {
		return "", nil, err
	}
	netns, err := s.cfg.Network.PrepareNetNS(ctx, c.ID)
	if err != nil {
		return "", nil, fmt.Errorf("network setup: %w", err)
	}
	// The files exist before the runtime bind-mounts them; /etc/hosts
	// gets the container's address in place once it is known.
	if err := s.writeHostFiles(c, nil); err != nil {
		_ = s.cfg.Network.Detach(context.WithoutCancel(ctx), c.ID)
		return "", nil, err
	}
	j := &netJob{done: make(chan struct{})}
	go func() {
		defer close(j.done)
		req := attachRequest(c)
		req.NetNSReady = true
		ep, err := s.cfg.Network.Attach(ctx, req)
		if err != nil {
			j.err = fmt.Errorf("network setup: %w", err)
			return
		}
		c.setNetwork(ep) // torn down with the container from here on
		if err := s.publishPorts(ctx, c, ep); err != nil {
			j.err = err
			return
		}
		j.err = s.rewriteHosts(c, net.ParseIP(ep.IP))
	}()
	return netns, j, nil
}

func (s *Service) teardownNetwork(ctx context.Context, c *Container) {
	if c.network() == nil {
		return
	}
	if err := s.cfg.Network.Detach(ctx, c.ID); err != nil {
		s.log.Warn("network teardown", "container", c.ID, "err", err)
	}
	c.setNetwork(nil)
}

func (s *Service) spec(c *Container, rootfs, netns string) (*specs.Spec, error) {
	user, home, err := oci.ResolveUser(rootfs, c.Config.User)
	if err != nil {
		return nil, err
	}
	mode := "bridge"
	switch {
	case c.HostConfig.NetworkMode.IsHost():
		mode = "host"
	case c.HostConfig.NetworkMode.IsNone():
		mode = "none"
	}
	cwd := c.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	opts := oci.Options{
		ID: c.ID, Rootfs: rootfs, Readonly: c.HostConfig.ReadonlyRootfs,
		Args: append([]string{c.Path}, c.Args...), Env: mergeEnv(s.linkEnv(c), containerEnv(c, home)), Cwd: cwd,
		User: user, Hostname: c.Config.Hostname, Domainname: c.Config.Domainname,
		Tty: c.Config.Tty, NetNSPath: netns, NetworkMode: mode,
		HostsPath: c.HostsPath, ResolvConfPath: c.ResolvPath, HostnamePath: c.HostnamePath,
		CgroupsPath: filepath.Join("/", s.cfg.CgroupParent, c.ID), CgroupNamespace: s.cgroupns,
		ShmSize:    c.HostConfig.ShmSize,
		Privileged: c.HostConfig.Privileged,
		CapAdd:     c.HostConfig.CapAdd, CapDrop: c.HostConfig.CapDrop,
		Labels: c.Config.Labels,
	}
	if err := s.runtimeOptions(c, rootfs, &opts); err != nil {
		return nil, err
	}
	return oci.Generate(opts)
}

// containerEnv adds HOME (from passwd, "/" when unknown) under the merged
// config env; oci.Generate adds PATH, HOSTNAME and TERM beneath that.
func containerEnv(c *Container, home string) []string {
	if home == "" {
		home = "/"
	}
	return mergeEnv([]string{"HOME=" + home}, c.Config.Env)
}

func writeBundle(dir string, spec *specs.Spec) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(dir, "exit.json"))
	data, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	// The bundle lives on the exec-root tmpfs and is rewritten at every
	// start, so a plain write is enough here.
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600)
}

// IsStartError reports whether err is a failure to exec the command, for
// the status code (Docker answers 400 for these).
func isCommandError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "permission denied")
}

var errStopped = errors.New("container stopped")
