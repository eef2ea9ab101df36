package container

import (
	"context"

	"github.com/berth-engine/berth/internal/server/httputil"
	ctr "github.com/moby/moby/api/types/container"
)

// legacyNetworkSettings adds the top-level NetworkSettings fields Docker
// sends up to API 1.51 (deprecated there, removed in 1.52) and that many
// scripts still read ({{.NetworkSettings.IPAddress}}). They describe the
// default bridge endpoint and are empty on other networks, as in Docker.
type legacyNetworkSettings struct {
	*ctr.NetworkSettings
	Bridge                 string
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	SecondaryIPAddresses   any
	SecondaryIPv6Addresses any
	EndpointID             string
	Gateway                string
	GlobalIPv6Address      string
	GlobalIPv6PrefixLen    int
	IPAddress              string
	IPPrefixLen            int
	IPv6Gateway            string
	MacAddress             string
}

type legacyInspect struct {
	ctr.InspectResponse
	NetworkSettings *legacyNetworkSettings
}

// inspectForVersion returns the inspect document in the shape of the
// request's API version.
func inspectForVersion(ctx context.Context, in ctr.InspectResponse) any {
	if in.NetworkSettings == nil || !httputil.VersionLess(httputil.VersionFromContext(ctx), "1.52") {
		return in
	}
	ns := &legacyNetworkSettings{NetworkSettings: in.NetworkSettings}
	if ep := in.NetworkSettings.Networks["bridge"]; ep != nil && ep.IPAddress.IsValid() {
		ns.EndpointID, ns.IPAddress, ns.IPPrefixLen = ep.EndpointID, ep.IPAddress.String(), ep.IPPrefixLen
		ns.Gateway, ns.MacAddress = ep.Gateway.String(), ep.MacAddress.String()
	}
	return legacyInspect{InspectResponse: in, NetworkSettings: ns}
}
