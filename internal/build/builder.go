package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/moby/api/types/jsonstream"
)

// Builder runs builds. It is safe for concurrent use.
type Builder struct {
	be    Backend
	cache Cache
	root  string // cache-mounts/ (RUN --mount=type=cache) and tmp/
	tmp   string // build contexts being built
}

// New returns a Builder over be; cache may be nil (no cache). Its files
// live under root: tmp/ holds the contexts of running builds (what a
// crashed daemon left there is removed here), cache-mounts/ the
// directories of RUN --mount=type=cache.
func New(be Backend, cache Cache, root string) *Builder {
	tmp := filepath.Join(root, "tmp")
	_ = os.RemoveAll(tmp)
	return &Builder{be: be, cache: cache, root: root, tmp: tmp}
}

// Build builds the Dockerfile in the tar context (plain or compressed)
// and returns the target stage's image, tagged with opts.Tags. Progress
// goes to out; the returned error is the build's failure.
func (b *Builder) Build(ctx context.Context, context io.Reader, opts Options, out Output) (*image.Image, error) {
	if err := os.MkdirAll(b.tmp, 0o700); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(b.tmp, "ctx-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	defer os.RemoveAll(dir + ".secrets")
	if err := unpackContext(ctx, context, dir); err != nil {
		return nil, err
	}
	j, err := b.newJob(dir, opts, out)
	if err != nil {
		return nil, err
	}
	img, err := j.run(ctx)
	if err != nil {
		return nil, err
	}
	return img, j.finish(ctx, img)
}

func unpackContext(ctx context.Context, r io.Reader, dir string) error {
	rc, err := archive.DecompressStream(r)
	if err != nil {
		return fmt.Errorf("build context: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	defer rc.Close()
	if _, err := archive.Apply(ctx, dir, rc, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply}); err != nil {
		return fmt.Errorf("build context: %w", err)
	}
	return nil
}

// job is one build.
type job struct {
	b        *Builder
	opts     Options
	out      Output
	dir      string
	lex      *shell.Lex
	escape   rune
	stages   []instructions.Stage
	meta     []string // global ARGs as k=v, for FROM
	usedArgs map[string]bool
	states   map[int]*state // built stages
	step     int
	total    int
}

func (b *Builder) newJob(dir string, opts Options, out Output) (*job, error) {
	raw, err := readDockerfile(dir, opts.Dockerfile)
	if err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("dockerfile contains no stages to build: %w", errdefs.ErrInvalidArgument)
	}
	if opts.Quiet {
		out = quietOutput{out}
	}
	res.PrintWarnings(streamWriter{out: out})
	j := &job{b: b, opts: opts, out: out, dir: dir, lex: shell.NewLex(res.EscapeToken), escape: res.EscapeToken,
		stages: stages, usedArgs: map[string]bool{}, states: map[int]*state{}}
	if err := j.globalArgs(metaArgs); err != nil {
		return nil, err
	}
	if len(opts.Labels) > 0 {
		if err := j.addLabels(); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func readDockerfile(dir, name string) ([]byte, error) {
	if name == "" {
		name = "Dockerfile"
	}
	p, err := securejoin.SecureJoin(dir, name)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) && name == "Dockerfile" {
		raw, err = os.ReadFile(filepath.Join(dir, "dockerfile"))
	}
	if err != nil {
		return nil, fmt.Errorf("Cannot locate specified Dockerfile: %s: %w", name, errdefs.ErrInvalidArgument)
	}
	return raw, nil
}

// globalArgs resolves the ARGs before the first FROM.
func (j *job) globalArgs(args []instructions.ArgCommand) error {
	for _, a := range args {
		for _, kv := range a.Args {
			v, _, err := j.lex.ProcessWord(kv.ValueString(), shell.EnvsFromSlice(j.meta))
			if err != nil {
				return fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
			}
			if bv, ok := j.opts.BuildArgs[kv.Key]; ok && bv != nil {
				v = *bv
				j.usedArgs[kv.Key] = true
			} else if kv.Value == nil {
				continue
			}
			j.meta = append(j.meta, kv.Key+"="+v)
		}
	}
	return nil
}

// addLabels appends the request's labels to the target stage as one
// LABEL step, as Docker does.
func (j *job) addLabels() error {
	keys := make([]string, 0, len(j.opts.Labels))
	for k := range j.opts.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, strconv.Quote(k)+"="+strconv.Quote(j.opts.Labels[k]))
	}
	cmd, err := parseLine("LABEL " + strings.Join(parts, " "))
	if err != nil {
		return err
	}
	if t := j.target(); t >= 0 {
		j.stages[t].Commands = append(j.stages[t].Commands, cmd)
	}
	return nil
}

// parseLine parses one Dockerfile instruction (ONBUILD triggers, labels).
func parseLine(line string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(line))
	if err != nil || len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("parse %q: %v: %w", line, err, errdefs.ErrInvalidArgument)
	}
	v, err := instructions.ParseInstruction(res.AST.Children[0])
	if err != nil {
		return nil, fmt.Errorf("parse %q: %v: %w", line, err, errdefs.ErrInvalidArgument)
	}
	cmd, ok := v.(instructions.Command)
	if !ok {
		return nil, fmt.Errorf("%q is not a build step: %w", line, errdefs.ErrInvalidArgument)
	}
	return cmd, nil
}

// target is the index of the stage to build.
func (j *job) target() int {
	if j.opts.Target == "" {
		return len(j.stages) - 1
	}
	for i, s := range j.stages {
		if strings.EqualFold(s.Name, j.opts.Target) {
			return i
		}
	}
	return -1
}

// needed lists, in order, the stages the target depends on.
func (j *job) needed() ([]int, error) {
	t := j.target()
	if t < 0 {
		return nil, fmt.Errorf("failed to reach build target %s in Dockerfile: %w", j.opts.Target, errdefs.ErrInvalidArgument)
	}
	need := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if need[i] {
			return
		}
		need[i] = true
		for _, d := range j.deps(i) {
			visit(d)
		}
	}
	visit(t)
	out := make([]int, 0, len(need))
	for i := range need {
		out = append(out, i)
	}
	slices.Sort(out)
	return out, nil
}

// deps are the earlier stages stage i uses (FROM, COPY --from).
func (j *job) deps(i int) []int {
	var out []int
	if base, _, err := j.lex.ProcessWord(j.stages[i].BaseName, shell.EnvsFromSlice(j.meta)); err == nil {
		if d := j.stageIndex(base, i); d >= 0 {
			out = append(out, d)
		}
	}
	for _, c := range j.stages[i].Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
			if d := j.stageIndex(cp.From, i); d >= 0 {
				out = append(out, d)
			}
		}
	}
	return out
}

// stageIndex finds an earlier stage by name or index, -1 if none.
func (j *job) stageIndex(name string, before int) int {
	for i := 0; i < before; i++ {
		if strings.EqualFold(j.stages[i].Name, name) || fmt.Sprint(i) == name {
			return i
		}
	}
	return -1
}

func (j *job) run(ctx context.Context) (*image.Image, error) {
	order, err := j.needed()
	if err != nil {
		return nil, err
	}
	for _, i := range order {
		j.total += 1 + len(j.stages[i].Commands)
	}
	var last *state
	for _, i := range order {
		if last, err = j.buildStage(ctx, i); err != nil {
			return nil, err
		}
		j.states[i] = last
	}
	if last.id == "" {
		return nil, fmt.Errorf("no image was generated. Is your Dockerfile empty?: %w", errdefs.ErrInvalidArgument)
	}
	return j.b.be.Image(ctx, last.id.String())
}

// finish reports unused build args and tags the image.
func (j *job) finish(ctx context.Context, img *image.Image) error {
	var unused []string
	for k := range j.opts.BuildArgs {
		if !j.usedArgs[k] && !isProxyArg(k) {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		j.out.Stream(fmt.Sprintf("[Warning] One or more build-args %v were not consumed\n", unused))
	}
	j.out.Aux(img.ID.String())
	j.out.Stream(fmt.Sprintf("Successfully built %s\n", shortID(img.ID.String())))
	for _, t := range j.opts.Tags {
		if err := j.b.be.Tag(ctx, img.ID.String(), t); err != nil {
			return err
		}
		j.out.Stream(fmt.Sprintf("Successfully tagged %s\n", t))
	}
	if q, ok := j.out.(quietOutput); ok {
		q.Output.Stream(img.ID.String() + "\n")
	}
	return nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

var proxyArgs = []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}

func isProxyArg(k string) bool { return slices.Contains(proxyArgs, k) }

// quietOutput drops progress text (q=1); only the aux ID and, at the end,
// the image ID are sent.
type quietOutput struct{ Output }

func (quietOutput) Stream(string) {}

func (quietOutput) Progress(jsonstream.Message) {}
