package container

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-engine/berth/internal/logs/jsonfile"
	"github.com/containerd/errdefs"
)

// LogsOptions are the query parameters of GET /containers/{id}/logs.
type LogsOptions struct {
	Stdout, Stderr bool
	Follow         bool
	Tail           int // -1: all
	Since, Until   time.Time
}

// LogReader streams a container's log.
type LogReader struct {
	Tty  bool
	path string
	opts LogsOptions
	done <-chan struct{}
}

// Logs prepares to read ref's log; errors (unknown container, no log)
// surface here, before any output is written.
func (s *Service) Logs(ctx context.Context, ref string, opts LogsOptions) (*LogReader, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return nil, err
	}
	if c.hostConfig().LogConfig.Type == "none" {
		return nil, fmt.Errorf("configured logging driver does not support reading: %w", errdefs.ErrInvalidArgument)
	}
	done := closedChan
	if m := c.liveMonitor(); m != nil {
		done = m.done
	}
	return &LogReader{Tty: c.Config.Tty, path: c.LogPath, opts: opts, done: done}, nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Run calls fn for each selected log line until the log ends (or, when
// following, the container stops or ctx ends).
func (r *LogReader) Run(ctx context.Context, fn func(stream string, line []byte, t time.Time) error) error {
	ro := jsonfile.ReadOptions{Follow: r.opts.Follow, Tail: r.opts.Tail, Since: r.opts.Since, Until: r.opts.Until}
	err := jsonfile.Read(ctx, r.path, ro, r.done, func(m jsonfile.Message) error {
		if (m.Stream == "stdout" && !r.opts.Stdout) || (m.Stream == "stderr" && !r.opts.Stderr) {
			return nil
		}
		return fn(m.Stream, m.Line, m.Time)
	})
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}
