package jsonfile

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// flushAt is the buffered size past which WriteLog writes to the file even
// without an explicit Flush.
const flushAt = 64 * 1024

// Writer appends log lines to a json-file log, rotating it by size. It is
// safe for concurrent use (stdout and stderr share one Writer). Lines are
// buffered until Flush, Close, or the buffer grows past 64 KiB.
type Writer struct {
	mu       sync.Mutex
	path     string
	maxSize  int64 // 0: never rotate
	maxFiles int
	f        *os.File
	size     int64 // bytes in the file, including buf
	buf      []byte
}

// NewWriter opens (creating or appending to) the log at path. maxSize is the
// size in bytes past which the file is rotated (0 = never); maxFiles counts
// the current file, so 3 keeps path, path.1 and path.2.
func NewWriter(path string, maxSize int64, maxFiles int) (*Writer, error) {
	if maxFiles < 1 {
		maxFiles = 1
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat log: %w", err)
	}
	return &Writer{path: path, maxSize: maxSize, maxFiles: maxFiles, f: f, size: st.Size()}, nil
}

// WriteLog appends one line of stream, logged at t.
func (w *Writer) WriteLog(stream string, line []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return os.ErrClosed
	}
	if w.maxSize > 0 && w.size >= w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n := len(w.buf)
	w.buf = appendEntry(w.buf, stream, line, t)
	w.size += int64(len(w.buf) - n)
	if len(w.buf) >= flushAt {
		return w.flush()
	}
	return nil
}

// Flush writes buffered lines to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flush()
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 || w.f == nil {
		return nil
	}
	_, err := w.f.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return nil
}

// rotate shifts path.i to path.i+1 (dropping the oldest) and starts a new
// file at path. With maxFiles 1 the file is truncated instead.
func (w *Writer) rotate() error {
	if err := w.flush(); err != nil {
		return err
	}
	if w.maxFiles == 1 {
		w.size = 0
		return w.f.Truncate(0)
	}
	for i := w.maxFiles - 1; i > 0; i-- {
		err := os.Rename(rotated(w.path, i-1), rotated(w.path, i))
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	w.f.Close()
	w.f, w.size = f, 0
	return nil
}

// Close flushes and closes the log. Further writes fail with os.ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}

// rotated names the i-th file of the log: path itself for 0, else path.i.
func rotated(path string, i int) string {
	if i == 0 {
		return path
	}
	return path + "." + strconv.Itoa(i)
}
