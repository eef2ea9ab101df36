package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/berth-engine/berth/internal/oci"
	"github.com/berth-engine/berth/internal/runtime"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execRetention is how long a finished exec stays inspectable.
const execRetention = time.Hour

// Exec is one `docker exec` instance: created, then started once, then
// finished with an exit code. Exec instances live in memory only, as in
// Docker (a restarted daemon forgets them).
type Exec struct {
	ID          string
	ContainerID string
	Config      ctr.ExecCreateRequest

	mu       sync.Mutex
	started  bool
	running  bool
	pid      int
	exitCode *int
	finished time.Time
	shim     *runtime.Shim // while running
}

// ExecStartOptions are the body of POST /exec/{id}/start.
type ExecStartOptions struct {
	Detach      bool
	ConsoleSize *[2]uint // [height, width] of the pty
}

type execStore struct {
	mu sync.Mutex
	m  map[string]*Exec
}

func (es *execStore) add(e *Exec) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.m == nil {
		es.m = map[string]*Exec{}
	}
	es.m[e.ID] = e
}

func (es *execStore) get(id string) (*Exec, error) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if e, ok := es.m[id]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("No such exec instance: %s: %w", id, errdefs.ErrNotFound)
}

// prune forgets execs of removed containers and long-finished ones.
func (es *execStore) prune(exists func(id string) bool) {
	es.mu.Lock()
	defer es.mu.Unlock()
	for id, e := range es.m {
		e.mu.Lock()
		old := !e.finished.IsZero() && time.Since(e.finished) > execRetention
		e.mu.Unlock()
		if old || !exists(e.ContainerID) {
			delete(es.m, id)
		}
	}
}

func (es *execStore) forContainer(containerID string) []string {
	es.mu.Lock()
	defer es.mu.Unlock()
	var ids []string
	for id, e := range es.m {
		e.mu.Lock()
		live := e.exitCode == nil
		e.mu.Unlock()
		if e.ContainerID == containerID && live {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// execIDs lists the execs of a container that have not finished (inspect's
// ExecIDs; nil when there are none, as Docker shows null).
func (s *Service) execIDs(containerID string) []string { return s.execs.forContainer(containerID) }

// ExecCreate registers an exec in a running container and returns its ID.
func (s *Service) ExecCreate(ctx context.Context, ref string, cfg ctr.ExecCreateRequest) (string, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return "", err
	}
	if err := execAllowed(c); err != nil {
		return "", err
	}
	if len(cfg.Cmd) == 0 {
		return "", fmt.Errorf("No exec command specified: %w", errdefs.ErrInvalidArgument)
	}
	s.execs.prune(func(id string) bool { _, err := s.store.get(id); return err == nil })
	e := &Exec{ID: newExecID(), ContainerID: c.ID, Config: cfg}
	s.execs.add(e)
	return e.ID, nil
}

func newExecID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// execAllowed answers Docker's conflicts for an exec into c.
func execAllowed(c *Container) error {
	st := c.snapshot()
	switch {
	case !st.Running():
		return fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	case st.isPaused():
		return fmt.Errorf("Container %s is paused, unpause the container before exec: %w", c.ID, errdefs.ErrConflict)
	}
	return nil
}

// ExecInspect returns the GET /exec/{id}/json document.
func (s *Service) ExecInspect(id string) (ctr.ExecInspectResponse, error) {
	e, err := s.execs.get(id)
	if err != nil {
		return ctr.ExecInspectResponse{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := e.Config
	priv := cfg.Privileged
	pc := &ctr.ExecProcessConfig{Tty: cfg.Tty, Entrypoint: cfg.Cmd[0], Arguments: nonNil(cfg.Cmd[1:]), Privileged: &priv, User: cfg.User}
	return ctr.ExecInspectResponse{
		ID: e.ID, Running: e.running, ExitCode: e.exitCode, ProcessConfig: pc,
		OpenStdin: cfg.AttachStdin, OpenStdout: cfg.AttachStdout, OpenStderr: cfg.AttachStderr,
		ContainerID: e.ContainerID, DetachKeys: []byte(cfg.DetachKeys), Pid: e.pid,
	}, nil
}

// ExecResize sets the size of a running exec's pty.
func (s *Service) ExecResize(ctx context.Context, id string, width, height uint16) error {
	e, err := s.execs.get(id)
	if err != nil {
		return err
	}
	e.mu.Lock()
	sh, running := e.shim, e.running
	e.mu.Unlock()
	if !running || sh == nil {
		return fmt.Errorf("Exec %s is not running: %w", id, errdefs.ErrConflict)
	}
	return sh.ExecResize(ctx, id, width, height)
}

// begin marks the exec started; an exec runs once.
func (e *Exec) begin() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running {
		return fmt.Errorf("Error: Exec command %s is already running: %w", e.ID, errdefs.ErrConflict)
	}
	if e.started {
		return fmt.Errorf("Error: Exec command %s has already run: %w", e.ID, errdefs.ErrConflict)
	}
	e.started = true
	return nil
}

func (e *Exec) setRunning(pid int, sh *runtime.Shim) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running, e.pid, e.shim = true, pid, sh
}

func (e *Exec) exit(code int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running, e.shim = false, nil
	e.exitCode = &code
	e.finished = time.Now()
}

// ExecStart runs the exec. With opts.Detach (client nil) it returns once
// the process runs; otherwise client is the hijacked connection: the
// exec's streams are relayed to it (multiplexed without a tty) and
// ExecStart returns once the process exited, its output was relayed and
// its exit code recorded, so that an inspect right after sees it.
func (s *Service) ExecStart(ctx context.Context, id string, opts ExecStartOptions, client io.ReadWriteCloser) error {
	e, err := s.execs.get(id)
	if err != nil {
		return err
	}
	c, err := s.store.get(e.ContainerID)
	if err != nil {
		return err
	}
	if err := e.begin(); err != nil {
		return err
	}
	sh, pid, err := s.startExec(ctx, c, e, opts, client != nil)
	if err != nil {
		e.exit(runtime.ExitCodeFromStartError(err))
		return err
	}
	e.setRunning(pid, sh)
	if client == nil {
		if err := sh.ExecRelease(ctx, e.ID); err != nil {
			s.log.Warn("release exec output", "exec", e.ID, "err", err)
		}
		go s.waitExec(context.WithoutCancel(ctx), e, sh)
		return nil
	}
	relayed := s.relayExec(ctx, e, sh, client)
	if err := sh.ExecRelease(ctx, e.ID); err != nil {
		s.log.Warn("release exec output", "exec", e.ID, "err", err)
	}
	s.waitExec(ctx, e, sh)
	select {
	case <-relayed:
	case <-time.After(2 * time.Second):
	}
	return nil
}

func (s *Service) startExec(ctx context.Context, c *Container, e *Exec, opts ExecStartOptions, attached bool) (*runtime.Shim, int, error) {
	if err := execAllowed(c); err != nil {
		return nil, 0, err
	}
	m := c.liveMonitor()
	if m == nil {
		return nil, 0, fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	proc, err := s.execProcess(c, e.Config)
	if err != nil {
		return nil, 0, err
	}
	ro := runtime.ExecOptions{ID: e.ID, Process: proc, Stdin: e.Config.AttachStdin && attached}
	size := opts.ConsoleSize
	if size == nil {
		size = e.Config.ConsoleSize
	}
	if size != nil && e.Config.Tty {
		ro.Height, ro.Width = uint16(size[0]), uint16(size[1])
	}
	pid, err := m.shim.Exec(ctx, ro)
	if err != nil {
		if _, ok := errors.AsType[*runtime.StartError](err); ok {
			return nil, 0, fmt.Errorf("OCI runtime exec failed: %w", err)
		}
		return nil, 0, err
	}
	return m.shim, pid, nil
}

// waitExec records the exec's exit code once it exited; 137 when the
// shim went away (the container stopped and took the exec with it).
func (s *Service) waitExec(ctx context.Context, e *Exec, sh *runtime.Shim) {
	st, err := sh.ExecWait(ctx, e.ID)
	if err != nil {
		s.log.Debug("exec wait", "exec", e.ID, "err", err)
		st.Code = 137
	}
	e.exit(st.Code)
}

// execProcess derives the exec's process from the container's runtime
// spec (as written at its start) and the exec's config.
func (s *Service) execProcess(c *Container, cfg ctr.ExecCreateRequest) (*specs.Process, error) {
	data, err := os.ReadFile(filepath.Join(s.bundleDir(c.ID), "config.json"))
	if err != nil {
		return nil, fmt.Errorf("container %s runtime spec: %w", c.ID, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil || spec.Process == nil || spec.Root == nil {
		return nil, fmt.Errorf("container %s runtime spec is invalid: %w", c.ID, errdefs.ErrDataLoss)
	}
	o := oci.ExecOptions{Args: cfg.Cmd, Env: cfg.Env, Cwd: cfg.WorkingDir, Tty: cfg.Tty, Privileged: cfg.Privileged}
	if cfg.User != "" {
		u, home, err := oci.ResolveUser(spec.Root.Path, cfg.User)
		if err != nil {
			return nil, err
		}
		o.User, o.Home = &u, home
	}
	return oci.ExecProcess(*spec.Process, o), nil
}
