package jsonfile

import (
	"io"
	"os"
)

// tailStart finds where the last n lines of files (oldest first) begin: the
// index of the file and the offset in it.
func tailStart(files []*os.File, n int) (int, int64) {
	for i := len(files) - 1; i >= 0; i-- {
		off, found := tailOffset(files[i], n)
		if found >= n {
			return i, off
		}
		n -= found
	}
	return 0, 0
}

// tailOffset scans f backwards for the start of its last n lines. It returns
// the offset and how many lines (up to n) it found; when fewer than n, the
// offset is 0 and the whole file belongs to the tail.
func tailOffset(f *os.File, n int) (int64, int) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return 0, 0
	}
	if n == 0 {
		return st.Size(), 0
	}
	const block = 32 * 1024
	buf := make([]byte, block)
	end := st.Size()
	newlines := 0
	last := true // the final newline ends the last line, it does not start one
	for end > 0 {
		start := max(end-block, 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return 0, newlines
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' {
				continue
			}
			if last && start+int64(i) == st.Size()-1 {
				last = false
				continue
			}
			newlines++
			if newlines == n {
				return start + int64(i) + 1, n
			}
		}
		end = start
	}
	return 0, newlines + 1
}
