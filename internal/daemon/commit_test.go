package daemon

import (
	"reflect"
	"testing"

	ctr "github.com/moby/moby/api/types/container"
)

func TestMergeConfig(t *testing.T) {
	base := &ctr.Config{Cmd: []string{"sh"}, Env: []string{"A=1", "B=2"}, User: "u", Labels: map[string]string{"x": "1"}}
	tests := []struct {
		name string
		req  *ctr.Config
		want *ctr.Config
	}{
		{"nil request", nil, base},
		{"empty request", &ctr.Config{}, base},
		{"overrides", &ctr.Config{Cmd: []string{"top"}, Env: []string{"B=3", "C=4"}, WorkingDir: "/w", Labels: map[string]string{"y": "2"}},
			&ctr.Config{Cmd: []string{"top"}, Env: []string{"A=1", "B=3", "C=4"}, User: "u", WorkingDir: "/w", Labels: map[string]string{"x": "1", "y": "2"}}},
	}
	for _, tc := range tests {
		if got := mergeConfig(tc.req, base); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if base.Env[1] != "B=2" || len(base.Labels) != 1 {
		t.Errorf("mergeConfig changed the container's config: %+v", base)
	}
}
