package cgroup

import "testing"

func TestParseProcStat(t *testing.T) {
	got, err := parseProcStat([]byte("cpu  100 5 50 1000 10 1 4 7 0 0\ncpu0 50 2 25 500 5 0 2 3 0 0\n"))
	if err != nil || got != 1170*NsPerTick {
		t.Fatalf("got %d %v", got, err)
	}
	if _, err := parseProcStat([]byte("intr 1\n")); err == nil {
		t.Fatal("no cpu line accepted")
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		in   string
		want int
		bad  bool
	}{
		{"0", 1, false}, {"0-3", 4, false}, {"0,2-3", 3, false}, {"", 0, false},
		{"a", 0, true}, {"3-1", 0, true}, {"-1", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSet(tt.in)
		if (err != nil) != tt.bad || !tt.bad && len(got) != tt.want {
			t.Errorf("%q: %v %v", tt.in, got, err)
		}
	}
}
