package logs

import (
	"strings"
	"testing"
	"time"
)

type recorder struct {
	lines   []string
	flushes int
}

func (r *recorder) WriteLog(stream string, line []byte, _ time.Time) error {
	r.lines = append(r.lines, stream+":"+string(line))
	return nil
}

func (r *recorder) Flush() error { r.flushes++; return nil }

func TestSplitter(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"one line", []string{"hello\n"}, []string{"out:hello\n"}},
		{"two lines one write", []string{"a\nb\n"}, []string{"out:a\n", "out:b\n"}},
		{"line across writes", []string{"he", "llo\nwo", "rld\n"}, []string{"out:hello\n", "out:world\n"}},
		{"no trailing newline", []string{"abc"}, []string{"out:abc"}},
		{"empty lines", []string{"\n\n"}, []string{"out:\n", "out:\n"}},
		{"long line split", []string{long + "tail\n"}, []string{"out:" + long, "out:tail\n"}},
		{"exactly max then newline", []string{long, "\n"}, []string{"out:" + long, "out:\n"}},
		{"line of max-1 plus newline", []string{long[1:] + "\n"}, []string{"out:" + long[1:] + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			s := NewSplitter("out", r)
			for _, w := range tt.writes {
				if _, err := s.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(r.lines) != len(tt.want) {
				t.Fatalf("got %d lines %q, want %d", len(r.lines), r.lines, len(tt.want))
			}
			for i := range tt.want {
				if r.lines[i] != tt.want[i] {
					t.Errorf("line %d = %.40q, want %.40q", i, r.lines[i], tt.want[i])
				}
			}
			if r.flushes < len(tt.writes) {
				t.Errorf("flushes = %d, want >= %d", r.flushes, len(tt.writes))
			}
		})
	}
}
