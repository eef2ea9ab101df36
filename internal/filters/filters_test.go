package filters

import (
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"10m", now.Add(-10 * time.Minute), true},
		{"1700000000", time.Unix(1700000000, 0), true},
		{"1700000000.5", time.Unix(1700000000, 500000000), true},
		{"2026-01-01T00:00:00Z", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := Until(tt.in, now)
		if (err == nil) != tt.ok || tt.ok && !got.Equal(tt.want) {
			t.Errorf("%q: got %v, %v", tt.in, got, err)
		}
	}
}

func TestLabelAnyAll(t *testing.T) {
	labels := map[string]string{"a": "1"}
	for f, want := range map[string]bool{"a": true, "a=1": true, "a=2": false, "b": false} {
		if got := Label(labels, f); got != want {
			t.Errorf("Label(%q) = %v", f, got)
		}
	}
	is := func(s string) func(string) bool { return func(v string) bool { return v == s } }
	if !AnyOf(nil, is("x")) || !AnyOf([]string{"y", "x"}, is("x")) || AnyOf([]string{"y"}, is("x")) {
		t.Error("AnyOf")
	}
	if !AllOf(nil, is("x")) || !AllOf([]string{"x", "x"}, is("x")) || AllOf([]string{"x", "y"}, is("x")) {
		t.Error("AllOf")
	}
}
