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

// RunOptions tune Run.
type RunOptions struct {
	Remove     bool     // --rm
	Entrypoint []string // --entrypoint
	Env        []string // -e
	User       string
	WorkingDir string
	Name       string // --name
}

// Run creates a one-off container of service with cmd (the service's
// command when empty), attaches to it, waits for it and returns its exit
// code. The project's networks and volumes are created first.
func (c *Compose) Run(ctx context.Context, p *types.Project, service string, cmd []string, o RunOptions, st Streams) (int, error) {
	s, err := p.GetService(service)
	if err != nil {
		return 0, classify(err, errdefs.ErrNotFound)
	}
	s.Ports = nil
	if err := c.prepareRun(ctx, p); err != nil {
		return 0, err
	}
	name := o.Name
	if name == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		name = fmt.Sprintf("%s-%s-run-%s", p.Name, s.Name, hex.EncodeToString(b))
	}
	id, err := c.create(ctx, p, s, 1, "", true, func(co *client.ContainerCreateOptions) {
		co.Name = name
		if len(cmd) > 0 {
			co.Config.Cmd = cmd
		}
		if o.Entrypoint != nil {
			co.Config.Entrypoint = o.Entrypoint
		}
		co.Config.Env = append(co.Config.Env, o.Env...)
		if o.User != "" {
			co.Config.User = o.User
		}
		if o.WorkingDir != "" {
			co.Config.WorkingDir = o.WorkingDir
		}
		co.Config.AttachStdin, co.Config.OpenStdin, co.Config.StdinOnce = st.Stdin != nil, st.Stdin != nil, st.Stdin != nil
		co.HostConfig.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyDisabled}
		co.HostConfig.AutoRemove = false
	})
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

func (c *Compose) prepareRun(ctx context.Context, p *types.Project) error {
	if err := c.Build(ctx, p, BuildOptions{OnlyMissing: true}); err != nil {
		return err
	}
	if err := c.pullMissing(ctx, p); err != nil {
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
