package image

import (
	"testing"

	apiimage "github.com/moby/moby/api/types/image"
)

func TestMatchDangling(t *testing.T) {
	tests := []struct {
		name        string
		filter      string
		tags        []string
		hasChildren bool
		want        bool
	}{
		{"untagged leaf is dangling", "true", nil, false, true},
		{"intermediate is not dangling", "true", nil, true, false},
		{"tagged is not dangling", "true", []string{"a:latest"}, false, false},
		{"dangling=false keeps tagged", "false", []string{"a:latest"}, true, true},
		{"dangling=false drops untagged leaf", "false", nil, false, false},
		{"dangling=false drops intermediate", "false", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := apiimage.Summary{RepoTags: tt.tags}
			got, err := matchImage(s, map[string][]string{"dangling": {tt.filter}}, tt.hasChildren)
			if err != nil || got != tt.want {
				t.Errorf("matchImage = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
