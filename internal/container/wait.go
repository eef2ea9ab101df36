package container

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// WaitResult is the outcome of Wait.
type WaitResult struct {
	ExitCode int
	Error    string
}

// Wait registers a waiter for condition ("not-running" default,
// "next-exit", "removed") and returns a channel that yields once. The
// waiter is registered when Wait returns, so a caller may then start the
// container without racing the exit.
func (s *Service) Wait(ctx context.Context, ref string, condition ctr.WaitCondition) (<-chan WaitResult, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return nil, err
	}
	switch condition {
	case "", ctr.WaitConditionNotRunning, ctr.WaitConditionNextExit, ctr.WaitConditionRemoved:
	default:
		return nil, fmt.Errorf("invalid condition: %q: %w", condition, errdefs.ErrInvalidArgument)
	}
	stateMu.Lock()
	startExits := c.State.exits
	stateMu.Unlock()
	out := make(chan WaitResult, 1)
	go func() {
		for {
			ch := c.changes()
			st := c.snapshot()
			if met(condition, st, startExits) {
				out <- WaitResult{ExitCode: st.ExitCode, Error: st.Error}
				return
			}
			select {
			case <-ch:
			case <-ctx.Done():
				close(out)
				return
			}
		}
	}()
	return out, nil
}

func met(cond ctr.WaitCondition, st State, startExits int) bool {
	switch cond {
	case ctr.WaitConditionNextExit:
		return st.exits > startExits || st.Removed
	case ctr.WaitConditionRemoved:
		return st.Removed
	default:
		// An exit counts even when the restart policy brings the
		// container back ("restarting"), as in Docker.
		return !st.Running() && st.Status != ctr.StateRestarting || st.Removed || st.exits > startExits
	}
}
