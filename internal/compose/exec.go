package compose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Streams are the standard streams of exec and run (Stdin may be nil).
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// ExecOptions tune Exec.
type ExecOptions struct {
	Index      int // container number (0: the first)
	User       string
	WorkingDir string
	Env        []string
	Privileged bool
	Detach     bool
}

// Exec runs cmd in a container of service (without a TTY) and returns its
// exit code.
func (c *Compose) Exec(ctx context.Context, project, service string, cmd []string, o ExecOptions, st Streams) (int, error) {
	ctr, err := c.serviceContainer(ctx, project, service, o.Index)
	if err != nil {
		return 0, err
	}
	ex, err := c.api.ExecCreate(ctx, ctr.ID, client.ExecCreateOptions{
		User: o.User, WorkingDir: o.WorkingDir, Env: o.Env, Privileged: o.Privileged, Cmd: cmd,
		AttachStdin: st.Stdin != nil && !o.Detach, AttachStdout: !o.Detach, AttachStderr: !o.Detach,
	})
	if err != nil {
		return 0, err
	}
	if o.Detach {
		_, err := c.api.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true})
		return 0, err
	}
	att, err := c.api.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return 0, err
	}
	defer att.Close()
	if err := pump(att.HijackedResponse, st); err != nil {
		return 0, err
	}
	res, err := c.api.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil {
		return 0, err
	}
	return res.ExitCode, nil
}

// pump copies stdin to the hijacked connection and its multiplexed output
// to the streams until the output ends.
func pump(h client.HijackedResponse, st Streams) error {
	if st.Stdin != nil {
		go func() {
			_, _ = io.Copy(h.Conn, st.Stdin)
			if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}()
	}
	_, err := stdcopy.StdCopy(st.Stdout, st.Stderr, h.Reader)
	return err
}

// RunOptions tune Run and CreateRun.
type RunOptions struct {
	Remove        bool     // --rm
	Entrypoint    []string // --entrypoint
	Env           []string // -e KEY=VALUE, or KEY (its value in the project's environment)
	User          string
	WorkingDir    string
	Name          string   // --name
	Tty           bool     // allocate a TTY (CreateRun only: Run streams are multiplexed)
	Stdin         bool     // keep stdin open for an attach (Run: when Streams.Stdin is set)
	NoDeps        bool     // --no-deps: start none of the services the service depends on
	ServicePorts  bool     // --service-ports: publish the service's ports
	Publish       []string // -p: more ports to publish, as docker run -p
	Labels        []string // -l KEY=VALUE
	Volumes       []string // -v: more mounts, as docker run -v
	CapAdd        []string // --cap-add
	CapDrop       []string // --cap-drop
	UseAliases    bool     // --use-aliases: the service's network aliases
	Build         bool     // --build: build images before running
	Pull          string   // --pull: always, missing, never or policy ("": policy)
	RemoveOrphans bool     // --remove-orphans
}

// Run creates a one-off container of service with cmd (the service's
// command when empty), attaches to it, waits for it and returns its exit
// code. The project's networks and volumes are created first and, unless
// o.NoDeps, the service's dependencies are started as up starts them and
// their depends_on conditions awaited.
func (c *Compose) Run(ctx context.Context, p *types.Project, service string, cmd []string, o RunOptions, st Streams) (int, error) {
	o.Tty, o.Stdin = false, st.Stdin != nil
	id, err := c.CreateRun(ctx, p, service, cmd, o)
	if err != nil {
		return 0, err
	}
	if o.Remove {
		defer func() {
			_, _ = c.api.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}()
	}
	return c.attachStartWait(ctx, id, st)
}

// CreateRun creates, without starting it, the one-off container Run
// runs and returns its ID; the caller attaches, starts and (with Remove)
// removes it with RemoveOneoff. A container that could not be completed
// is removed.
func (c *Compose) CreateRun(ctx context.Context, p *types.Project, service string, cmd []string, o RunOptions) (string, error) {
	p, s, err := runProject(p, service, o)
	if err != nil {
		return "", err
	}
	if err := c.prepareRun(ctx, p, o); err != nil {
		return "", err
	}
	if !o.NoDeps {
		if err := c.startDependencies(ctx, p, s, o.RemoveOrphans); err != nil {
			return "", err
		}
	}
	name := o.Name
	if name == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		name = fmt.Sprintf("%s-%s-run-%s", p.Name, s.Name, hex.EncodeToString(b))
	}
	id, err := c.create(ctx, p, s, 1, "", true, func(co *client.ContainerCreateOptions) { runConfig(co, name, cmd, o) })
	if err != nil && id != "" {
		_, _ = c.api.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
	if err != nil {
		return "", err
	}
	return id, nil
}

// runConfig applies run's options to the create request.
func runConfig(co *client.ContainerCreateOptions, name string, cmd []string, o RunOptions) {
	co.Name = name
	if len(cmd) > 0 {
		co.Config.Cmd = cmd
	}
	if o.Entrypoint != nil {
		co.Config.Entrypoint = o.Entrypoint
	}
	if o.User != "" {
		co.Config.User = o.User
	}
	if o.WorkingDir != "" {
		co.Config.WorkingDir = o.WorkingDir
	}
	co.Config.Tty = o.Tty
	co.Config.AttachStdin, co.Config.OpenStdin, co.Config.StdinOnce = o.Stdin, o.Stdin, o.Stdin
	co.HostConfig.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyDisabled}
	co.HostConfig.AutoRemove = false
}

// RemoveOneoff removes the one-off container id (and its anonymous
// volumes) unless it is still running, as after a detach.
func (c *Compose) RemoveOneoff(ctx context.Context, id string) error {
	res, err := c.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	if st := res.Container.State; st != nil && (st.Running || st.Restarting) {
		return nil
	}
	_, err = c.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	return err
}

// prepareRun builds and pulls the images of p (run's service and its
// dependencies) and creates the project's networks and volumes.
func (c *Compose) prepareRun(ctx context.Context, p *types.Project, o RunOptions) error {
	if err := c.Build(ctx, p, BuildOptions{OnlyMissing: !o.Build}); err != nil {
		return err
	}
	var err error
	switch o.Pull {
	case "", "policy", "missing":
		err = c.pullMissing(ctx, p)
	case "always":
		err = c.Pull(ctx, p, false)
	case "never":
	default:
		err = fmt.Errorf("invalid --pull %q: want always, missing, never or policy: %w", o.Pull, errdefs.ErrInvalidArgument)
	}
	if err != nil {
		return err
	}
	if err := c.ensureNetworks(ctx, p); err != nil {
		return err
	}
	return c.ensureVolumes(ctx, p)
}

func (c *Compose) attachStartWait(ctx context.Context, id string, st Streams) (int, error) {
	att, err := c.api.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: st.Stdin != nil, Stdout: true, Stderr: true})
	if err != nil {
		return 0, err
	}
	defer att.Close()
	wait := c.api.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return 0, err
	}
	if err := pump(att.HijackedResponse, st); err != nil {
		return 0, err
	}
	select {
	case res := <-wait.Result:
		return int(res.StatusCode), nil
	case err := <-wait.Error:
		return 0, err
	}
}
