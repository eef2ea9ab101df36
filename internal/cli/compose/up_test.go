package compose

import (
	"errors"
	"maps"
	"testing"

	"github.com/containerd/errdefs"
)

func TestParseScale(t *testing.T) {
	tests := []struct {
		in   []string
		want map[string]int
		err  bool
	}{
		{in: nil, want: map[string]int{}},
		{in: []string{"web=3", "db=0"}, want: map[string]int{"web": 3, "db": 0}},
		{in: []string{"web"}, err: true},
		{in: []string{"web=x"}, err: true},
		{in: []string{"web=-1"}, err: true},
	}
	for _, tc := range tests {
		got, err := parseScale(tc.in)
		if tc.err {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%v: err %v", tc.in, err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%v: %v %v", tc.in, got, err)
		}
	}
}
