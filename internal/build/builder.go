package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/distribution/reference"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
	max   int64  // cap on the bytes of cached step images (0: none)
	mem   string // in-memory (tmpfs) root for contexts; "" keeps them on disk
	gc    sync.Mutex
	ctxs  contexts // received contexts (see contexts.go)
}

// WithMemoryContexts unpacks build contexts under dir, a size-capped tmpfs:
// creating a context's files on disk is what a cached rebuild would
// otherwise spend its time on. A context too large for dir falls back to
// disk transparently.
func WithMemoryContexts(dir string) Option { return func(b *Builder) { b.mem = dir } }

// Option configures a Builder.
type Option func(*Builder)

// WithCacheCap caps the bytes the cached step images may add up to: after
// each build the least recently used entries go until the cache fits.
func WithCacheCap(bytes int64) Option { return func(b *Builder) { b.max = bytes } }

// New returns a Builder over be; cache may be nil (no cache). Its files
// live under root: tmp/ holds the contexts of running builds (what a
// crashed daemon left there is removed here), cache-mounts/ the
// directories of RUN --mount=type=cache.
func New(be Backend, cache Cache, root string, opts ...Option) *Builder {
	tmp := filepath.Join(root, "tmp")
	_ = os.RemoveAll(tmp)
	b := &Builder{be: be, cache: cache, root: root, tmp: tmp}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Build builds the Dockerfile in the tar context (plain or compressed)
// and returns the target stage's image, tagged with opts.Tags. Progress
// goes to out; the returned error is the build's failure.
func (b *Builder) Build(ctx context.Context, buildContext io.Reader, opts Options, out Output) (*image.Image, error) {
	if err := os.MkdirAll(b.tmp, 0o700); err != nil {
		return nil, err
	}
	dir, err := b.contextDir(ctx, buildContext, opts)
	defer b.release(dir)
	if err != nil {
		return nil, err
	}
	j, err := b.newJob(dir, opts, out)
	if err != nil {
		return nil, err
	}
	img, err := j.run(ctx)
	if b.cache != nil && len(j.hits) > 0 {
		if terr := b.cache.Touch(j.hits); terr != nil && err == nil {
			err = terr
		}
	}
	if err != nil {
		return nil, err
	}
	if err := j.finish(ctx, img); err != nil {
		return nil, err
	}
	b.enforceCap(ctx)
	return img, nil
}

// job is one build.
type job struct {
	b      *Builder
	opts   Options
	out    Output
	dir    string
	lex    *shell.Lex
	escape rune
	stages []instructions.Stage
	meta   []string // global ARGs as k=v, for FROM
	total  int      // steps of the stages being built

	mu        sync.Mutex
	usedArgs  map[string]bool
	states    map[int]*state // built stages
	downloads atomic.Int64   // ADD <url> files fetched
	hits      []string       // cache keys used, touched at the end
	cacheFrom cacheFrom      // --cache-from images and where stages follow them
}

func (j *job) hit(key string) {
	j.mu.Lock()
	j.hits = append(j.hits, key)
	j.mu.Unlock()
}

func (j *job) markUsed(arg string) {
	j.mu.Lock()
	j.usedArgs[arg] = true
	j.mu.Unlock()
}

// stateOf is built stage i (nil if it is not built).
func (j *job) stateOf(i int) *state {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.states[i]
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
	j.meta = platformArgs(opts.Platform)
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

func (j *job) run(ctx context.Context) (*image.Image, error) {
	order, err := j.needed()
	if err != nil {
		return nil, err
	}
	for _, i := range order {
		j.total += 1 + len(j.stages[i].Commands)
	}
	if err := j.buildStages(ctx, order); err != nil {
		return nil, err
	}
	last := j.stateOf(order[len(order)-1])
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
		j.out.Stream(fmt.Sprintf("Successfully tagged %s\n", familiarTag(t)))
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

// familiarTag is a tag as Docker's builder reports it: with the default
// ":latest" spelled out ("web" → "web:latest").
func familiarTag(t string) string {
	named, err := reference.ParseNormalizedNamed(t)
	if err != nil {
		return t
	}
	return reference.FamiliarString(reference.TagNameOnly(named))
}
