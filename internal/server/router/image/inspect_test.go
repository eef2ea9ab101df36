package image

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/server/httputil"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apiimage "github.com/moby/moby/api/types/image"
)

// inspectBackend answers Get and InspectResponse; other methods are unused.
type inspectBackend struct {
	Backend
	cfg *dockerspec.DockerOCIImageConfig
}

func (b inspectBackend) Get(context.Context, string) (*image.Image, error) {
	return &image.Image{}, nil
}

func (b inspectBackend) InspectResponse(*image.Image) apiimage.InspectResponse {
	return apiimage.InspectResponse{ID: "sha256:abc", Config: b.cfg}
}

func TestInspectLegacyContainerConfig(t *testing.T) {
	cfg := &dockerspec.DockerOCIImageConfig{}
	cfg.Volumes = map[string]struct{}{"/data": {}}
	tests := []struct {
		version string
		cfg     *dockerspec.DockerOCIImageConfig
		want    string // ContainerConfig as JSON; "" when absent
	}{
		{"1.44", cfg, `{"Volumes":{"/data":{}}}`},
		{"1.25", nil, `{}`},
		{"1.47", cfg, `{"Volumes":{"/data":{}}}`},
		{"1.48", cfg, ""},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			r := router{b: inspectBackend{cfg: tt.cfg}}
			w := httptest.NewRecorder()
			ctx := httputil.WithVersion(context.Background(), tt.version)
			if err := r.getImagesByName(ctx, w, httptest.NewRequest("GET", "/images/x/json", nil), map[string]string{"name": "x"}); err != nil {
				t.Fatal(err)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			cc, ok := got["ContainerConfig"]
			if tt.want == "" {
				if ok {
					t.Fatalf("ContainerConfig sent for API %s: %s", tt.version, cc)
				}
				return
			}
			if _, ok := got["Container"]; !ok {
				t.Errorf("no Container field for API %s", tt.version)
			}
			if string(cc) != tt.want {
				t.Errorf("ContainerConfig = %s, want %s", cc, tt.want)
			}
		})
	}
}
