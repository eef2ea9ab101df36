package container

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/berth-engine/berth/internal/server/httputil"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestInspectLegacyNetworkFields(t *testing.T) {
	in := ctr.InspectResponse{ID: "x", NetworkSettings: &ctr.NetworkSettings{SandboxKey: "/run/ns", Networks: map[string]*network.EndpointSettings{
		"bridge": {IPAddress: netip.MustParseAddr("172.18.0.2"), Gateway: netip.MustParseAddr("172.18.0.1"), IPPrefixLen: 16},
	}}}
	for _, tc := range []struct {
		version string
		legacy  bool
	}{{"1.47", true}, {"1.51", true}, {"1.52", false}} {
		b, err := json.Marshal(inspectForVersion(httputil.WithVersion(context.Background(), tc.version), in))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			ID              string `json:"Id"`
			NetworkSettings map[string]any
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		ns := doc.NetworkSettings
		_, has := ns["IPAddress"]
		if has != tc.legacy || doc.ID != "x" || ns["SandboxKey"] != "/run/ns" || ns["Networks"] == nil {
			t.Fatalf("%s: %s", tc.version, b)
		}
		if tc.legacy && (ns["IPAddress"] != "172.18.0.2" || ns["Gateway"] != "172.18.0.1" || ns["IPPrefixLen"] != float64(16)) {
			t.Errorf("%s: legacy fields %v", tc.version, ns)
		}
	}
}
