// Package logs holds what every log driver shares: the Sink a driver
// implements and the Splitter that cuts a container's raw output into
// Docker-style log lines (newline-terminated, or partial pieces of at most
// MaxLine bytes). Drivers live in subpackages named for their format
// (logs/jsonfile). It imports no other Berth package.
package logs

import (
	"bytes"
	"time"
)

// MaxLine is the longest line a Sink receives; longer lines are cut into
// partial pieces of this size, like Docker's 16 KiB log buffer.
const MaxLine = 16 * 1024

// Sink receives log lines. line ends with '\n' unless it is a partial piece
// (a line longer than MaxLine, or output that ended without a newline).
// line is only valid during the call.
type Sink interface {
	WriteLog(stream string, line []byte, t time.Time) error
}

// flusher is implemented by sinks that buffer; the Splitter flushes them
// after every chunk of output so readers see lines promptly.
type flusher interface {
	Flush() error
}

// Splitter is an io.Writer that turns one output stream into log lines.
// It is not safe for concurrent use; use one per stream.
type Splitter struct {
	stream string
	sink   Sink
	buf    []byte
}

// NewSplitter returns a Splitter that writes the lines of stream to sink.
func NewSplitter(stream string, sink Sink) *Splitter {
	return &Splitter{stream: stream, sink: sink}
}

// Write logs every complete line in p and keeps the rest for the next call.
func (s *Splitter) Write(p []byte) (int, error) {
	now := time.Now().UTC()
	s.buf = append(s.buf, p...)
	rest, err := s.emit(s.buf, now)
	s.buf = append(s.buf[:0], rest...)
	if err != nil {
		return len(p), err
	}
	if f, ok := s.sink.(flusher); ok {
		return len(p), f.Flush()
	}
	return len(p), nil
}

func (s *Splitter) emit(b []byte, now time.Time) ([]byte, error) {
	for {
		i := bytes.IndexByte(b, '\n')
		switch {
		case i >= 0 && i < MaxLine:
			if err := s.sink.WriteLog(s.stream, b[:i+1], now); err != nil {
				return b[i+1:], err
			}
			b = b[i+1:]
		case len(b) >= MaxLine:
			if err := s.sink.WriteLog(s.stream, b[:MaxLine], now); err != nil {
				return b[MaxLine:], err
			}
			b = b[MaxLine:]
		default:
			return b, nil
		}
	}
}

// Flush logs what is left (output that ended without a newline) as a
// partial line. Call it once the stream reached EOF.
func (s *Splitter) Flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := s.sink.WriteLog(s.stream, s.buf, time.Now().UTC())
	s.buf = s.buf[:0]
	if f, ok := s.sink.(flusher); ok && err == nil {
		err = f.Flush()
	}
	return err
}
