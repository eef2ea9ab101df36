package daemon

import (
	"net"

	"github.com/berth-engine/berth/internal/container"
	"github.com/berth-engine/berth/internal/network/bridge"
)

func toMappings(ports []container.PublishedPort) []bridge.PortMapping {
	out := make([]bridge.PortMapping, len(ports))
	for i, p := range ports {
		out[i] = bridge.PortMapping{Proto: p.Proto, HostIP: net.ParseIP(p.HostIP), HostPort: p.HostPort, ContainerPort: p.ContainerPort}
	}
	return out
}
