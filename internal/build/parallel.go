package build

import (
	"context"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"
)

// buildStages builds the stages in order, each as soon as the stages it
// uses are built, so independent stages build in parallel. The output is
// the sequential build's: a stage's progress is held back until the
// stages before it in order have finished. The first failure cancels
// the rest.
func (j *job) buildStages(ctx context.Context, order []int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	seq := newSequencer(j.out, len(order))
	done := map[int]chan struct{}{}
	deps := map[int][]int{} // computed here: j.lex is not safe for concurrent use
	for _, i := range order {
		done[i] = make(chan struct{})
		deps[i] = j.deps(i)
	}
	var wg sync.WaitGroup
	first := 1
	failedAt := -1
	var mu sync.Mutex
	for pos, i := range order {
		wg.Add(1)
		go func(pos, i, first int) {
			defer wg.Done()
			err := j.buildWhenReady(ctx, i, deps[i], done, seq.output(pos), first)
			if err != nil {
				mu.Lock()
				if failedAt < 0 || pos < failedAt {
					failedAt = pos
				}
				mu.Unlock()
				cancel(err)
				return
			}
			seq.finish(pos)
		}(pos, i, first)
		first += 1 + len(j.stages[i].Commands)
	}
	wg.Wait()
	if failedAt >= 0 {
		seq.flushThrough(failedAt)
		return context.Cause(ctx)
	}
	return nil
}

// buildWhenReady waits for stage i's dependencies, then builds it.
func (j *job) buildWhenReady(ctx context.Context, i int, deps []int, done map[int]chan struct{}, out Output, first int) error {
	for _, d := range deps {
		select {
		case <-done[d]:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	st, err := j.buildStage(ctx, i, out, first)
	if err != nil {
		return err
	}
	j.mu.Lock()
	j.states[i] = st
	j.mu.Unlock()
	close(done[i])
	return nil
}

// sequencer replays the outputs of stages building in parallel in stage
// order: the first unfinished stage's output goes straight through, the
// later ones' are buffered until their turn.
type sequencer struct {
	mu   sync.Mutex
	out  Output
	head int
	bufs [][]func(Output)
	done []bool
}

func newSequencer(out Output, n int) *sequencer {
	return &sequencer{out: out, bufs: make([][]func(Output), n), done: make([]bool, n)}
}

func (s *sequencer) emit(pos int, f func(Output)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos == s.head {
		f(s.out)
		return
	}
	s.bufs[pos] = append(s.bufs[pos], f)
}

// finish marks stage pos done and lets the next stages' output through.
func (s *sequencer) finish(pos int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done[pos] = true
	for s.head < len(s.done) && s.done[s.head] {
		s.head++
		if s.head < len(s.bufs) {
			s.replay(s.head)
		}
	}
}

// flushThrough writes what stages up to pos buffered (after a failure).
func (s *sequencer) flushThrough(pos int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; s.head <= pos && s.head < len(s.bufs); s.head++ {
		s.replay(s.head)
	}
}

func (s *sequencer) replay(pos int) {
	for _, f := range s.bufs[pos] {
		f(s.out)
	}
	s.bufs[pos] = nil
}

func (s *sequencer) output(pos int) Output { return seqOutput{s, pos} }

// seqOutput is one stage's Output.
type seqOutput struct {
	s   *sequencer
	pos int
}

func (o seqOutput) Stream(text string) { o.s.emit(o.pos, func(out Output) { out.Stream(text) }) }
func (o seqOutput) Aux(id string)      { o.s.emit(o.pos, func(out Output) { out.Aux(id) }) }
func (o seqOutput) Progress(m jsonstream.Message) {
	o.s.emit(o.pos, func(out Output) { out.Progress(m) })
}
