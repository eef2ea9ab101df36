package build

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	ctr "github.com/moby/moby/api/types/container"
)

// ExitError is a RUN step whose command failed.
type ExitError struct {
	Cmd    string
	Code   int
	Output string // the step's output, for quiet builds (Docker puts it in the error)
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%sThe command '%s' returned a non-zero code: %d", e.Output, e.Cmd, e.Code)
}

// runStep runs the command in a container from the current image and
// commits what it changed.
func (j *job) runStep(ctx context.Context, st *state, c *instructions.RunCommand) error {
	for _, f := range c.FlagsUsed {
		if f != "network" && f != "mount" {
			return fmt.Errorf("RUN --%s is not supported by this builder: %w", f, errdefs.ErrNotImplemented)
		}
	}
	rm, err := j.runMounts(ctx, st, c)
	if err != nil {
		return err
	}
	if st.id == "" {
		return fmt.Errorf("Please provide a source image with `from` prior to run: %w", errdefs.ErrInvalidArgument)
	}
	cmd, err := st.runCommand(c)
	if err != nil {
		return err
	}
	args := st.argEnv()
	createdBy := strings.Join(cmd, " ")
	if len(args) > 0 {
		createdBy = fmt.Sprintf("|%d %s %s", len(args), strings.Join(args, " "), createdBy)
	}
	network := j.opts.NetworkMode
	if n := instructions.GetNetwork(c); n != instructions.NetworkDefault {
		network = n
	}
	key, hit := j.probe(ctx, st, st.cfg, createdBy, "network="+network+"\x00"+rm.key)
	if hit {
		return nil
	}
	cleanup, err := j.bindStages(ctx, rm)
	defer cleanup()
	if err != nil {
		return err
	}
	hc := &ctr.HostConfig{NetworkMode: ctr.NetworkMode(network), Mounts: rm.mounts, Resources: j.opts.Resources,
		ShmSize: j.opts.ShmSize, ExtraHosts: j.opts.ExtraHosts}
	id, err := j.b.be.Create(ctx, j.runConfig(st, cmd, args), hc)
	if err != nil {
		return err
	}
	st.out.Stream(" ---> Running in " + shortID(id) + "\n")
	defer func() { j.removeContainer(ctx, st, id) }()
	var output strings.Builder // kept for the error of a quiet build
	code, err := j.b.be.Run(ctx, id, streamWriter{st.out, &output})
	if err != nil {
		return err
	}
	if code != 0 {
		e := &ExitError{Cmd: strings.Join(cmd, " "), Code: code}
		if j.opts.Quiet {
			e.Output = output.String()
		}
		return e
	}
	return j.commitContainer(ctx, st, id, cloneConfig(st.cfg), createdBy, key, rm.secrets...)
}

// runCommand is RUN's argv. A RUN that is a single heredoc runs the
// heredoc's text as a shell script (BuildKit's "multi-line RUN").
func (st *state) runCommand(c *instructions.RunCommand) ([]string, error) {
	if len(c.Files) == 0 {
		return st.command(c.ShellDependantCmdLine), nil
	}
	if len(c.Files) == 1 && len(c.CmdLine) == 1 && c.PrependShell && parser.MustParseHeredoc(c.CmdLine[0]) != nil &&
		!strings.HasPrefix(c.Files[0].Data, "#!") {
		return append(st.shell(), c.Files[0].Data), nil
	}
	return nil, fmt.Errorf("RUN with this heredoc form is not supported by this builder: %w", errdefs.ErrNotImplemented)
}

// runConfig is the build container's config: the stage's config with
// the command, no entrypoint, the build args in the environment and no
// healthcheck.
func (j *job) runConfig(st *state, cmd, args []string) *ctr.Config {
	env := slices.Clone(st.cfg.Env)
	for _, p := range proxyArgs {
		if v, ok := j.opts.BuildArgs[p]; ok && v != nil {
			env = append(env, p+"="+*v)
		}
	}
	return &ctr.Config{
		Image: st.id.String(), Cmd: cmd, Entrypoint: []string{}, Env: append(env, args...),
		WorkingDir: st.cfg.WorkingDir, User: st.cfg.User,
		AttachStdout: true, AttachStderr: true,
		Healthcheck: &ctr.HealthConfig{Test: []string{"NONE"}},
	}
}

// removeContainer removes an intermediate container: after a successful
// step with rm, and after a failed one with rm or forcerm (Berth does not
// leave failed build containers behind unless asked to keep them).
func (j *job) removeContainer(ctx context.Context, st *state, id string) {
	if !j.opts.Remove && !j.opts.ForceRemove {
		return
	}
	if err := j.b.be.Remove(context.WithoutCancel(ctx), id); err != nil {
		st.out.Stream(fmt.Sprintf("Removing intermediate container %s: %v\n", shortID(id), err))
		return
	}
	st.out.Stream(" ---> Removed intermediate container " + shortID(id) + "\n")
}

// streamWriter sends a container's output as stream messages (and keeps
// a copy when keep is set).
type streamWriter struct {
	out  Output
	keep *strings.Builder
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.out.Stream(string(p))
	if w.keep != nil && w.keep.Len() < 1<<20 {
		w.keep.Write(p)
	}
	return len(p), nil
}
