package jsonfile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// pollInterval is how often a following reader looks for new lines and for
// rotation.
const pollInterval = 50 * time.Millisecond

// ReadOptions selects the messages Read returns.
type ReadOptions struct {
	Follow bool      // keep reading new lines until ctx is done or done is closed
	Tail   int       // only the last Tail lines of the existing log; -1 all
	Since  time.Time // skip messages logged before Since (zero: no limit)
	Until  time.Time // stop at the first message logged after Until (zero: no limit)
}

// Message is one decoded log line. Line keeps its trailing newline, if any.
type Message struct {
	Stream string
	Line   []byte
	Time   time.Time
}

type entry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// errStop ends reading early without an error (Until reached).
var errStop = errors.New("stop")

// Read calls fn for each message of the log at path, oldest first across
// rotated files. With opts.Follow it then waits for new lines (following the
// log across rotation) until ctx is cancelled (returning ctx.Err()) or done
// is closed and the log is drained (returning nil). An error from fn stops
// reading and is returned.
func Read(ctx context.Context, path string, opts ReadOptions, done <-chan struct{}, fn func(Message) error) error {
	files := openAll(path)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	idx, off := 0, int64(0)
	if opts.Tail >= 0 {
		idx, off = tailStart(files, opts.Tail)
	}
	r := &reader{opts: opts, fn: fn}
	var cur *lineFile
	for i := idx; i < len(files); i++ {
		if _, err := files[i].Seek(off, io.SeekStart); err != nil {
			return err
		}
		off = 0
		cur = newLineFile(files[i])
		if err := r.drain(cur); err != nil {
			return stopped(err)
		}
	}
	if !opts.Follow {
		return nil
	}
	return stopped(r.follow(ctx, path, cur, done))
}

func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// openAll opens path.N … path.1, path (the files that exist), oldest first.
func openAll(path string) []*os.File {
	var files []*os.File
	for i := 0; ; i++ {
		f, err := os.Open(rotated(path, i))
		if err != nil {
			if i == 0 {
				continue // a rotated file may exist without the current one
			}
			break
		}
		files = append(files, f)
	}
	for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
		files[i], files[j] = files[j], files[i]
	}
	return files
}

type reader struct {
	opts ReadOptions
	fn   func(Message) error
}

// drain reads complete lines of lf up to its current end.
func (r *reader) drain(lf *lineFile) error {
	for {
		line, err := lf.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := r.emit(line); err != nil {
			return err
		}
	}
}

func (r *reader) emit(line []byte) error {
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		return nil // torn or foreign line: skip it, as Docker does
	}
	if !r.opts.Since.IsZero() && e.Time.Before(r.opts.Since) {
		return nil
	}
	if !r.opts.Until.IsZero() && e.Time.After(r.opts.Until) {
		return errStop
	}
	return r.fn(Message{Stream: e.Stream, Line: []byte(e.Log), Time: e.Time})
}

// follow keeps reading cur (nil if the log did not exist yet), moving on to
// the next file when the writer rotates.
func (r *reader) follow(ctx context.Context, path string, cur *lineFile, done <-chan struct{}) error {
	defer func() {
		if cur != nil {
			cur.f.Close()
		}
	}()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		finished := isClosed(done)
		if cur == nil {
			cur = openLineFile(path)
		}
		for cur != nil {
			if err := r.drain(cur); err != nil {
				return err
			}
			next := nextFile(path, cur.f)
			if next == nil {
				break
			}
			cur.f.Close()
			cur = next
		}
		if finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
		case <-tick.C:
		}
	}
}

func isClosed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// nextFile returns the file written after cur once the writer rotated cur
// away from path, or nil while cur is still the current file. It finds cur
// among path.1, path.2, … by inode so that several rotations between two
// polls lose nothing that still exists.
func nextFile(path string, cur *os.File) *lineFile {
	ino, ok := inode(cur)
	if !ok {
		return nil
	}
	if st, err := os.Stat(path); err != nil || sameInode(st, ino) {
		return nil // not rotated, or the new file is not created yet
	}
	for i := 1; ; i++ {
		st, err := os.Stat(rotated(path, i))
		if err != nil {
			break
		}
		if sameInode(st, ino) {
			return openLineFile(rotated(path, i-1))
		}
	}
	return openLineFile(path) // cur was rotated out of existence
}

func inode(f *os.File) (uint64, bool) {
	st, err := f.Stat()
	if err != nil {
		return 0, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return sys.Ino, true
}

func sameInode(st os.FileInfo, ino uint64) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && sys.Ino == ino
}

// lineFile reads newline-terminated lines from a file that may still be
// growing: a last line without its newline is kept until the rest arrives.
type lineFile struct {
	f       *os.File
	br      *bufio.Reader
	partial []byte
}

func newLineFile(f *os.File) *lineFile {
	return &lineFile{f: f, br: bufio.NewReaderSize(f, 64*1024)}
}

func openLineFile(path string) *lineFile {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	return newLineFile(f)
}

// next returns the next complete line (without its newline) or io.EOF.
func (lf *lineFile) next() ([]byte, error) {
	for {
		chunk, err := lf.br.ReadSlice('\n')
		switch {
		case err == nil:
			if len(lf.partial) == 0 {
				return chunk[:len(chunk)-1], nil
			}
			line := append(lf.partial, chunk[:len(chunk)-1]...)
			lf.partial = lf.partial[:0]
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			lf.partial = append(lf.partial, chunk...)
		default:
			lf.partial = append(lf.partial, chunk...)
			return nil, err
		}
	}
}
