package build

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

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
	return out, j.checkRefs(out)
}

// deps are the earlier stages stage i uses (FROM, COPY --from,
// RUN --mount=from=).
func (j *job) deps(i int) []int {
	var out []int
	if base, _, err := j.lex.ProcessWord(j.stages[i].BaseName, shell.EnvsFromSlice(j.meta)); err == nil {
		if d := j.stageIndex(base, i); d >= 0 {
			out = append(out, d)
		}
	}
	for _, from := range j.fromRefs(i) {
		if d := j.stageIndex(from, i); d >= 0 {
			out = append(out, d)
		}
	}
	return out
}

// fromRefs are the stages or images stage i's COPY --from and RUN
// --mount from= name, expanded with the global ARGs.
func (j *job) fromRefs(i int) []string {
	var out []string
	add := func(from string) {
		if from == "" {
			return
		}
		if v, _, err := j.lex.ProcessWord(from, shell.EnvsFromSlice(j.meta)); err == nil {
			from = v
		}
		out = append(out, from)
	}
	for _, c := range j.stages[i].Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			add(c.From)
		case *instructions.RunCommand:
			for _, m := range instructions.GetMounts(c) {
				add(m.From)
			}
		}
	}
	return out
}

// checkRefs rejects, before anything is built, a --from naming the stage
// itself or a later stage (only earlier stages can be used, as with the
// classic builder) or naming neither a stage nor a valid image reference.
func (j *job) checkRefs(order []int) error {
	for _, i := range order {
		for _, from := range j.fromRefs(i) {
			if j.stageIndex(from, i) >= 0 || strings.Contains(from, "$") {
				continue
			}
			for k := i; k < len(j.stages); k++ {
				if strings.EqualFold(j.stages[k].Name, from) {
					return fmt.Errorf("stage %s uses stage %q, which is not defined before it: %w", j.stageName(i), from, errdefs.ErrInvalidArgument)
				}
			}
			if _, err := reference.ParseNormalizedNamed(from); err != nil {
				return fmt.Errorf("--from=%s: no such stage, and not a valid image reference: %w", from, errdefs.ErrInvalidArgument)
			}
		}
	}
	return nil
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

// stageName is how errors name stage i.
func (j *job) stageName(i int) string {
	if n := j.stages[i].Name; n != "" {
		return strconv.Quote(n)
	}
	return strconv.Itoa(i)
}
