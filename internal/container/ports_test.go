package container

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestValidatePortBindings(t *testing.T) {
	p80 := network.MustParsePort("80/tcp")
	for _, tc := range []struct {
		name string
		hc   ctr.HostConfig
		want error
	}{
		{"ok", ctr.HostConfig{PortBindings: network.PortMap{p80: {{HostPort: "8080"}, {HostPort: ""}}}}, nil},
		{"bad host port", ctr.HostConfig{PortBindings: network.PortMap{p80: {{HostPort: "abc"}}}}, errdefs.ErrInvalidArgument},
		{"host port too big", ctr.HostConfig{PortBindings: network.PortMap{p80: {{HostPort: "70000"}}}}, errdefs.ErrInvalidArgument},
		{"ipv6 host ip", ctr.HostConfig{PortBindings: network.PortMap{p80: {{HostIP: netip.MustParseAddr("::1"), HostPort: "1"}}}}, nil},
		{"ipv4-mapped host ip", ctr.HostConfig{PortBindings: network.PortMap{p80: {{HostIP: netip.MustParseAddr("::ffff:127.0.0.1"), HostPort: "1"}}}}, errdefs.ErrInvalidArgument},
		{"none mode", ctr.HostConfig{NetworkMode: "none", PortBindings: network.PortMap{p80: {{HostPort: "1"}}}}, errdefs.ErrInvalidArgument},
		{"host mode ignored", ctr.HostConfig{NetworkMode: "host", PublishAllPorts: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validatePortBindings(&tc.hc)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPortRequestsAndReports(t *testing.T) {
	c := &Container{
		Config: &ctr.Config{ExposedPorts: network.PortSet{
			network.MustParsePort("80/tcp"): {}, network.MustParsePort("53/udp"): {}, network.MustParsePort("9000/tcp"): {},
		}},
		HostConfig: &ctr.HostConfig{PublishAllPorts: true, PortBindings: network.PortMap{
			network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}},
		}},
	}
	got, err := portRequests(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []PublishedPort{
		{Proto: "udp", ContainerPort: 53},
		{Proto: "tcp", HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80},
		{Proto: "tcp", ContainerPort: 9000},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("requests = %+v, want %+v", got, want)
	}
	ep := &Endpoint{Ports: []PublishedPort{{Proto: "tcp", HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80}}}
	pm := portMap(c, ep)
	if b := pm[network.MustParsePort("80/tcp")]; len(b) != 1 || b[0].HostPort != "8080" || b[0].HostIP.String() != "127.0.0.1" {
		t.Errorf("portMap 80: %+v", pm)
	}
	if b, ok := pm[network.MustParsePort("53/udp")]; !ok || b != nil {
		t.Errorf("portMap 53: %+v", pm)
	}
	sums := portSummaries(c, ep)
	if len(sums) != 3 || sums[0].PublicPort != 8080 || sums[1].PrivatePort != 53 || sums[1].Type != "udp" || sums[2].PrivatePort != 9000 {
		t.Errorf("summaries = %+v", sums)
	}
	if len(portSummaries(c, nil)) != 0 || len(portMap(c, nil)) != 0 {
		t.Error("stopped container reports ports")
	}
}

func TestMergeExposedPorts(t *testing.T) {
	got := mergeExposedPorts(network.PortSet{network.MustParsePort("80/tcp"): {}}, map[string]struct{}{"53/udp": {}, "80/tcp": {}})
	if len(got) != 2 {
		t.Fatalf("merged = %v", got)
	}
}
