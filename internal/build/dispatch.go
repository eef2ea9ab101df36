package build

import (
	"archive/tar"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// dispatch runs one instruction on st.
func (j *job) dispatch(ctx context.Context, st *state, c instructions.Command) error {
	if e, ok := c.(instructions.SupportsSingleWordExpansion); ok { // RUN: only its --mount flags
		if err := e.Expand(j.expander(st)); err != nil {
			return fmt.Errorf("%s: %v: %w", strings.ToUpper(c.Name()), err, errdefs.ErrInvalidArgument)
		}
	}
	if e, ok := c.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := e.ExpandRaw(j.rawExpander(st)); err != nil {
			return fmt.Errorf("%s: %v: %w", strings.ToUpper(c.Name()), err, errdefs.ErrInvalidArgument)
		}
	}
	switch c := c.(type) {
	case *instructions.RunCommand:
		return j.runStep(ctx, st, c)
	case *instructions.CopyCommand:
		return j.copyStep(ctx, st, copyRequest{SourcesAndDest: c.SourcesAndDest, from: c.From, chown: c.Chown, chmod: c.Chmod, name: "COPY"})
	case *instructions.AddCommand:
		if isGitSource(c) {
			return j.addGit(ctx, st, c)
		}
		return j.copyStep(ctx, st, copyRequest{SourcesAndDest: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, name: "ADD", unpack: true, checksum: c.Checksum})
	case *instructions.ArgCommand:
		return j.arg(ctx, st, c)
	case *instructions.WorkdirCommand:
		return j.workdirStep(ctx, st, c)
	case *instructions.MaintainerCommand:
		st.author = c.Maintainer
		return j.commitMeta(ctx, st, "MAINTAINER "+c.Maintainer, nil)
	}
	comment, change, err := j.metaChange(st, c)
	if err != nil {
		return err
	}
	return j.commitMeta(ctx, st, comment, change)
}

func (j *job) expander(st *state) instructions.SingleWordExpander {
	return func(word string) (string, error) {
		out, _, err := st.lex.ProcessWord(word, st.env())
		return out, err
	}
}

// rawExpander expands variables in heredoc content, keeping quotes and
// escapes as written.
func (j *job) rawExpander(st *state) instructions.SingleWordExpander {
	return func(word string) (string, error) {
		lex := shell.NewLex(j.escape)
		lex.RawQuotes, lex.RawEscapes, lex.SkipProcessQuotes = true, true, true
		out, _, err := lex.ProcessWord(word, st.env())
		return out, err
	}
}

// metaChange returns the history comment and config change of an
// instruction that only changes the image config.
func (j *job) metaChange(st *state, c instructions.Command) (string, func(*dockerspec.DockerOCIImageConfig) error, error) {
	switch c := c.(type) {
	case *instructions.EnvCommand:
		return "ENV " + kvString(c.Env), func(cfg *dockerspec.DockerOCIImageConfig) error {
			for _, kv := range c.Env {
				cfg.Env = setEnv(cfg.Env, kv.Key, kv.Value)
			}
			return nil
		}, nil
	case *instructions.LabelCommand:
		return "LABEL " + kvString(c.Labels), func(cfg *dockerspec.DockerOCIImageConfig) error {
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range c.Labels {
				cfg.Labels[kv.Key] = kv.Value
			}
			return nil
		}, nil
	case *instructions.CmdCommand:
		cmd := st.command(c.ShellDependantCmdLine)
		st.cmdSet = true
		return fmt.Sprintf("CMD %q", cmd), func(cfg *dockerspec.DockerOCIImageConfig) error {
			cfg.Cmd = cmd
			return nil
		}, nil
	case *instructions.EntrypointCommand:
		ep := st.command(c.ShellDependantCmdLine)
		return fmt.Sprintf("ENTRYPOINT %q", ep), func(cfg *dockerspec.DockerOCIImageConfig) error {
			cfg.Entrypoint = ep
			if !st.cmdSet {
				cfg.Cmd = nil
			}
			return nil
		}, nil
	case *instructions.ExposeCommand:
		return j.expose(st, c)
	case *instructions.VolumeCommand:
		return fmt.Sprintf("VOLUME %v", c.Volumes), func(cfg *dockerspec.DockerOCIImageConfig) error {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			for _, v := range c.Volumes {
				if v = strings.TrimSpace(v); v == "" {
					return fmt.Errorf("VOLUME specified can not be an empty string: %w", errdefs.ErrInvalidArgument)
				}
				cfg.Volumes[v] = struct{}{}
			}
			return nil
		}, nil
	case *instructions.UserCommand:
		return "USER " + c.User, func(cfg *dockerspec.DockerOCIImageConfig) error { cfg.User = c.User; return nil }, nil
	case *instructions.StopSignalCommand:
		return "STOPSIGNAL " + c.Signal, func(cfg *dockerspec.DockerOCIImageConfig) error { cfg.StopSignal = c.Signal; return nil }, nil
	case *instructions.HealthCheckCommand:
		return fmt.Sprintf("HEALTHCHECK %q", c.Health.Test), func(cfg *dockerspec.DockerOCIImageConfig) error {
			h := *c.Health
			cfg.Healthcheck = &h
			return nil
		}, nil
	case *instructions.ShellCommand:
		return fmt.Sprintf("SHELL %v", c.Shell), func(cfg *dockerspec.DockerOCIImageConfig) error {
			cfg.Shell = slices.Clone(c.Shell)
			return nil
		}, nil
	case *instructions.OnbuildCommand:
		return "ONBUILD " + c.Expression, func(cfg *dockerspec.DockerOCIImageConfig) error {
			cfg.OnBuild = append(cfg.OnBuild, c.Expression)
			return nil
		}, nil
	}
	return "", nil, fmt.Errorf("unknown instruction: %s: %w", strings.ToUpper(c.Name()), errdefs.ErrInvalidArgument)
}

// command is CMD/ENTRYPOINT/RUN's argv: exec form as given, shell form
// run by the stage's shell.
func (st *state) command(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(st.shell(), strings.Join(c.CmdLine, " "))
	}
	return slices.Clone(c.CmdLine)
}

func (j *job) arg(ctx context.Context, st *state, c *instructions.ArgCommand) error {
	parts := make([]string, 0, len(c.Args))
	for _, kv := range c.Args {
		parts = append(parts, kv.String())
		if kv.Value == nil {
			parts[len(parts)-1] = kv.Key
		}
		v, ok := "", false
		if bv, given := j.opts.BuildArgs[kv.Key]; given && bv != nil {
			v, ok = *bv, true
			j.markUsed(kv.Key)
		} else if kv.Value != nil {
			v, ok = *kv.Value, true
		} else if g, found := lookupKV(j.meta, kv.Key); found {
			v, ok = g, true
		}
		if ok {
			st.args[kv.Key] = v
		}
	}
	return j.commitMeta(ctx, st, "ARG "+strings.Join(parts, " "), nil)
}

func lookupKV(kvs []string, key string) (string, bool) {
	for i := len(kvs) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(kvs[i], "="); k == key {
			return v, true
		}
	}
	return "", false
}

func kvString(kvs instructions.KeyValuePairs) string {
	parts := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		parts = append(parts, kv.String())
	}
	return strings.Join(parts, " ")
}

// setEnv sets key in an env list, keeping its position if present.
func setEnv(env []string, key, val string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			env[i] = key + "=" + val
			return env
		}
	}
	return append(env, key+"="+val)
}

func workdir(cur, dir string) string {
	if !path.IsAbs(dir) {
		if cur == "" {
			cur = "/"
		}
		dir = path.Join(cur, dir)
	}
	return path.Clean(dir)
}

// workdirStep sets the working directory and, as Docker does, creates it
// in the image when it does not exist yet.
func (j *job) workdirStep(ctx context.Context, st *state, c *instructions.WorkdirCommand) error {
	cfg := cloneConfig(st.cfg)
	cfg.WorkingDir = workdir(cfg.WorkingDir, c.Path)
	createdBy := "/bin/sh -c #(nop) WORKDIR " + cfg.WorkingDir
	key, hit := j.probe(ctx, st, cfg, createdBy, "")
	if hit {
		return nil
	}
	dir := cfg.WorkingDir
	return j.writeLayer(ctx, st, cfg, createdBy, key, "", func(cid string) (func(w *layerWriter) error, error) {
		if dir == "/" || (cid != "" && j.isDir(ctx, cid, dir)) {
			return nil, nil
		}
		return func(w *layerWriter) error {
			return w.put(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Now()}, nil, false)
		}, nil
	})
}
