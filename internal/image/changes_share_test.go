package image

import (
	"maps"
	"slices"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestApplyChangesLeavesInputAlone: commit passes the container's own
// config maps and Env; --change must write to copies (writing through
// raced the container's record, found with a -race daemon).
func TestApplyChangesLeavesInputAlone(t *testing.T) {
	in := dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
		Env:          make([]string, 1, 4), // spare capacity: append must not write into it
		Labels:       map[string]string{"a": "1"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}},
		Volumes:      map[string]struct{}{"/v": {}},
	}}
	in.Env[0] = "A=1"
	env, labels, ports, vols := slices.Clone(in.Env), maps.Clone(in.Labels), maps.Clone(in.ExposedPorts), maps.Clone(in.Volumes)
	out, err := applyChanges(in, []string{"ENV A=2 B=3", "LABEL a=2 b=3", "EXPOSE 90", "VOLUME /w"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Env, env) || !slices.Equal(in.Env[:2:2][1:], []string{""}) || !maps.Equal(in.Labels, labels) ||
		!maps.Equal(in.ExposedPorts, ports) || !maps.Equal(in.Volumes, vols) {
		t.Errorf("input changed: %+v", in.ImageConfig)
	}
	if !slices.Equal(out.Env, []string{"A=2", "B=3"}) || out.Labels["b"] != "3" || len(out.ExposedPorts) != 2 || len(out.Volumes) != 2 {
		t.Errorf("output: %+v", out.ImageConfig)
	}
}
