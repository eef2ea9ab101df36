package volume

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berth-engine/berth/internal/server/httputil"
	apivolume "github.com/moby/moby/api/types/volume"
)

type fakeBackend struct {
	Backend
	pruneFilters map[string][]string
}

func (f *fakeBackend) Prune(_ context.Context, filters map[string][]string) (apivolume.PruneReport, error) {
	f.pruneFilters = filters
	return apivolume.PruneReport{}, nil
}

func (f *fakeBackend) Remove(context.Context, string, bool) error { return nil }

// TestPruneAllBeforeAPI142: older clients prune named volumes too.
func TestPruneAllBeforeAPI142(t *testing.T) {
	tests := []struct {
		version string
		query   string
		all     []string
	}{
		{"1.41", "", []string{"true"}},
		{"1.42", "", nil},
		{"1.47", `?filters={"all":["true"]}`, []string{"true"}},
		{"1.41", `?filters={"all":["false"]}`, []string{"false"}},
	}
	for _, tt := range tests {
		b := &fakeBackend{}
		r := router{b}
		req := httptest.NewRequest(http.MethodPost, "/volumes/prune"+tt.query, nil)
		if err := req.ParseForm(); err != nil {
			t.Fatal(err)
		}
		ctx := httputil.WithVersion(context.Background(), tt.version)
		if err := r.postVolumesPrune(ctx, httptest.NewRecorder(), req.WithContext(ctx), nil); err != nil {
			t.Fatal(err)
		}
		got := b.pruneFilters["all"]
		if len(got) != len(tt.all) || len(got) > 0 && got[0] != tt.all[0] {
			t.Errorf("%s %q: all=%v, want %v", tt.version, tt.query, got, tt.all)
		}
	}
}

func TestDeleteAnswers204(t *testing.T) {
	r := router{&fakeBackend{}}
	req := httptest.NewRequest(http.MethodDelete, "/volumes/x", nil)
	_ = req.ParseForm()
	w := httptest.NewRecorder()
	if err := r.deleteVolumes(context.Background(), w, req, map[string]string{"name": "x"}); err != nil || w.Code != http.StatusNoContent {
		t.Fatalf("code %d err %v", w.Code, err)
	}
}
