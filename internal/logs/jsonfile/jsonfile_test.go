package jsonfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)

func TestAppendEntryMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"hello\n", "", "tab\tquote\"back\\slash\r\n", "<html>&amp;", "\x00\x01\x1f\x7f",
		"héllo wörld ✓", "bad \xff utf8 \xc3", "line\u2028sep\u2029", strings.Repeat("x", 20000),
	} {
		got := appendEntry(nil, "stdout", []byte(s), t0)
		want, err := json.Marshal(entry{Log: s, Stream: "stdout", Time: t0})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want)+"\n" {
			t.Errorf("appendEntry(%.30q)\n got %.100s\nwant %.100s", s, got, want)
		}
	}
}

func writeLines(t *testing.T, w *Writer, n int, from int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := w.WriteLog("stdout", fmt.Appendf(nil, "line %d\n", i), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, path string, opts ReadOptions) []string {
	t.Helper()
	var got []string
	err := Read(context.Background(), path, opts, nil, func(m Message) error {
		got = append(got, strings.TrimSuffix(string(m.Line), "\n"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func lines(from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, fmt.Sprintf("line %d", i))
	}
	return s
}

func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	entryLen := int64(len(appendEntry(nil, "stdout", []byte("line 0\n"), t0)))
	w, err := NewWriter(path, 10*entryLen, 3) // 10 lines per file
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w, 35, 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + ".1", path + ".2"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("path.3 exists, want at most 3 files")
	}
	// 35 lines, 10 per file, 3 files kept: lines 10..34 remain.
	if got, want := readAll(t, path, ReadOptions{Tail: -1}), lines(10, 34); !equal(got, want) {
		t.Errorf("read all = %v, want %v", got, want)
	}
}

func TestMaxFilesOneTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	entryLen := int64(len(appendEntry(nil, "stdout", []byte("line 0\n"), t0)))
	w, err := NewWriter(path, 4*entryLen, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w, 6, 0)
	w.Close()
	if got, want := readAll(t, path, ReadOptions{Tail: -1}), lines(4, 5); !equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	entryLen := int64(len(appendEntry(nil, "stdout", []byte("line 0\n"), t0)))
	w, err := NewWriter(path, 10*entryLen, 5)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w, 35, 0) // files: 0-9, 10-19, 20-29, 30-34
	w.Close()
	tests := []struct {
		name string
		opts ReadOptions
		want []string
	}{
		{"all", ReadOptions{Tail: -1}, lines(0, 34)},
		{"tail 0", ReadOptions{Tail: 0}, nil},
		{"tail 3 in current file", ReadOptions{Tail: 3}, lines(32, 34)},
		{"tail 5 exactly current file", ReadOptions{Tail: 5}, lines(30, 34)},
		{"tail 12 across files", ReadOptions{Tail: 12}, lines(23, 34)},
		{"tail 27 across three files", ReadOptions{Tail: 27}, lines(8, 34)},
		{"tail more than all", ReadOptions{Tail: 100}, lines(0, 34)},
		{"since", ReadOptions{Tail: -1, Since: t0.Add(30 * time.Second)}, lines(30, 34)},
		{"until", ReadOptions{Tail: -1, Until: t0.Add(3 * time.Second)}, lines(0, 3)},
		{"since and until", ReadOptions{Tail: -1, Since: t0.Add(9 * time.Second), Until: t0.Add(11 * time.Second)}, lines(9, 11)},
		{"tail and since", ReadOptions{Tail: 4, Since: t0.Add(33 * time.Second)}, lines(33, 34)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readAll(t, path, tt.opts); !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadMessageFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w, err := NewWriter(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteLog("stderr", []byte("oops\n"), t0)
	w.WriteLog("stdout", []byte("partial"), t0)
	w.Close()
	var got []Message
	Read(context.Background(), path, ReadOptions{Tail: -1}, nil, func(m Message) error {
		got = append(got, m)
		return nil
	})
	want := []Message{{"stderr", []byte("oops\n"), t0}, {"stdout", []byte("partial"), t0}}
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Stream != want[i].Stream || !bytes.Equal(got[i].Line, want[i].Line) || !got[i].Time.Equal(want[i].Time) {
			t.Errorf("message %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	data := append(appendEntry(nil, "stdout", []byte("a\n"), t0), `{"log":"b\n","str`...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := readAll(t, path, ReadOptions{Tail: -1}), []string{"a"}; !equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, want := readAll(t, path, ReadOptions{Tail: 1}), []string{"a"}; len(got) > 1 {
		t.Errorf("tail 1 got %v, want at most %v", got, want)
	}
}

func TestMissingLog(t *testing.T) {
	if got := readAll(t, filepath.Join(t.TempDir(), "none.log"), ReadOptions{Tail: -1}); len(got) != 0 {
		t.Errorf("got %v", got)
	}
}

// follower runs Read with Follow in the background and collects lines.
type follower struct {
	mu   sync.Mutex
	got  []string
	err  chan error
	done chan struct{}
}

func follow(ctx context.Context, path string, opts ReadOptions) *follower {
	f := &follower{err: make(chan error, 1), done: make(chan struct{})}
	opts.Follow = true
	go func() {
		f.err <- Read(ctx, path, opts, f.done, func(m Message) error {
			f.mu.Lock()
			f.got = append(f.got, strings.TrimSuffix(string(m.Line), "\n"))
			f.mu.Unlock()
			return nil
		})
	}()
	return f
}

func (f *follower) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		got := append([]string(nil), f.got...)
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %d lines, have %v", n, f.got)
	return nil
}

func TestFollowAcrossRotationStopsOnDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	entryLen := int64(len(appendEntry(nil, "stdout", []byte("line 0\n"), t0)))
	w, err := NewWriter(path, 3*entryLen, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	writeLines(t, w, 2, 0)
	f := follow(context.Background(), path, ReadOptions{Tail: 1})
	if got := f.waitFor(t, 1); !equal(got, lines(1, 1)) {
		t.Fatalf("got %v", got)
	}
	writeLines(t, w, 20, 2) // several rotations, some between two polls
	if got := f.waitFor(t, 21); !equal(got, lines(1, 21)) {
		t.Fatalf("got %v, want %v", got, lines(1, 21))
	}
	writeLines(t, w, 1, 22)
	close(f.done) // written before done: must still be delivered
	select {
	case err := <-f.err:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after done")
	}
	if got := f.waitFor(t, 22); !equal(got, lines(1, 22)) {
		t.Errorf("got %v, want %v", got, lines(1, 22))
	}
}

func TestFollowWaitsForLogAndCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	ctx, cancel := context.WithCancel(context.Background())
	f := follow(ctx, path, ReadOptions{Tail: -1})
	time.Sleep(2 * pollInterval)
	w, err := NewWriter(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WriteLog("stdout", []byte("li"), t0) // a partial line (no newline)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	writeLines(t, w, 1, 7)
	if got := f.waitFor(t, 2); !equal(got, []string{"li", "line 7"}) {
		t.Errorf("got %v", got)
	}
	cancel()
	select {
	case err := <-f.err:
		if err != context.Canceled {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after cancel")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFollowTornWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	line := appendEntry(nil, "stdout", []byte("whole\n"), t0)
	if err := os.WriteFile(path, line[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	f := follow(context.Background(), path, ReadOptions{Tail: -1})
	time.Sleep(2 * pollInterval) // the reader sees the torn half first
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write(line[10:])
	fh.Close()
	if got := f.waitFor(t, 1); !equal(got, []string{"whole"}) {
		t.Errorf("got %v", got)
	}
	close(f.done)
	if err := <-f.err; err != nil {
		t.Fatal(err)
	}
}
