package build

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
)

// state is a stage being built: its current image and config.
type state struct {
	id     digest.Digest // current image, "" while FROM scratch has no step yet
	cfg    dockerspec.DockerOCIImageConfig
	args   map[string]string // ARGs declared in the stage that have a value
	author string            // MAINTAINER
	cmdSet bool              // CMD given in this stage (ENTRYPOINT keeps it)

	out  Output     // the stage's progress (stages may build in parallel)
	lex  *shell.Lex // not safe for concurrent use: one per stage
	step int        // number of the stage's last printed step
}

// env is what variables expand against: the stage's ARGs, overridden by
// its ENV.
func (st *state) env() shell.EnvGetter {
	kv := make([]string, 0, len(st.args)+len(st.cfg.Env))
	for k, v := range st.args {
		kv = append(kv, k+"="+v)
	}
	return shell.EnvsFromSlice(append(kv, st.cfg.Env...))
}

// argEnv lists, sorted, the ARGs a RUN sees that ENV does not override.
func (st *state) argEnv() []string {
	var out []string
	for k, v := range st.args {
		if !slices.ContainsFunc(st.cfg.Env, func(e string) bool { return strings.HasPrefix(e, k+"=") }) {
			out = append(out, k+"="+v)
		}
	}
	slices.Sort(out)
	return out
}

func (st *state) shell() []string {
	if len(st.cfg.Shell) > 0 {
		return slices.Clone(st.cfg.Shell)
	}
	return []string{"/bin/sh", "-c"}
}

func cloneConfig(c dockerspec.DockerOCIImageConfig) dockerspec.DockerOCIImageConfig {
	var out dockerspec.DockerOCIImageConfig
	raw, _ := json.Marshal(c)
	_ = json.Unmarshal(raw, &out)
	return out
}

// buildStage builds stage i, numbering its steps from first.
func (j *job) buildStage(ctx context.Context, i int, out Output, first int) (*state, error) {
	s := j.stages[i]
	st := &state{args: map[string]string{}, out: out, lex: shell.NewLex(j.escape), step: first - 1}
	j.printStep(st, s.SourceCode)
	if err := j.from(ctx, i, st); err != nil {
		return nil, err
	}
	if st.id != "" {
		st.out.Stream(" ---> " + shortID(st.id.String()) + "\n")
	}
	if err := j.triggers(ctx, st); err != nil {
		return nil, err
	}
	for _, c := range s.Commands {
		j.printStep(st, fmt.Sprint(c))
		if err := j.dispatch(ctx, st, c); err != nil {
			return nil, err
		}
		st.out.Stream(" ---> " + shortID(st.id.String()) + "\n")
	}
	if err := j.settleCacheFrom(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}

func (j *job) printStep(st *state, text string) {
	st.step++
	st.out.Stream(fmt.Sprintf("Step %d/%d : %s\n", st.step, j.total, strings.TrimSpace(text)))
}

// from starts stage i from an earlier stage, scratch or an image.
func (j *job) from(ctx context.Context, i int, st *state) error {
	base, _, err := st.lex.ProcessWord(j.stages[i].BaseName, shell.EnvsFromSlice(j.meta))
	if err != nil {
		return fmt.Errorf("FROM: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if d := j.stageIndex(base, i); d >= 0 {
		prev := j.stateOf(d)
		st.id, st.cfg = prev.id, cloneConfig(prev.cfg)
		return nil
	}
	if base == "" {
		return fmt.Errorf("base name (%s) should not be blank: %w", j.stages[i].BaseName, errdefs.ErrInvalidArgument)
	}
	if strings.EqualFold(base, "scratch") {
		return nil
	}
	img, err := j.baseImage(ctx, i, st, base)
	if err != nil {
		return err
	}
	st.id, st.cfg = img.ID, cloneConfig(img.Config.Config)
	return nil
}

// pull fetches a base image, with the request's credentials for its
// registry.
func (j *job) pull(ctx context.Context, st *state, ref string) (*image.Image, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format: %s: %w", ref, errdefs.ErrInvalidArgument)
	}
	host := reference.Domain(named)
	if host == "docker.io" {
		host = "https://index.docker.io/v1/"
	}
	return j.b.be.Pull(ctx, reference.FamiliarString(reference.TagNameOnly(named)), j.opts.Auth[host], st.out.Progress)
}

// triggers runs the base image's ONBUILD instructions.
func (j *job) triggers(ctx context.Context, st *state) error {
	trig := st.cfg.OnBuild
	if len(trig) == 0 {
		return nil
	}
	st.cfg.OnBuild = nil
	word := "triggers"
	if len(trig) == 1 {
		word = "trigger"
	}
	st.out.Stream(fmt.Sprintf("# Executing %d build %s\n", len(trig), word))
	for _, t := range trig {
		c, err := parseLine(t)
		if err != nil {
			return err
		}
		if err := j.dispatch(ctx, st, c); err != nil {
			return err
		}
	}
	return nil
}
