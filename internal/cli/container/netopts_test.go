package container

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestParsePublish(t *testing.T) {
	b := func(ip, port string) []network.PortBinding {
		pb := network.PortBinding{HostPort: port}
		if ip != "" {
			pb.HostIP = mustAddr(ip)
		}
		return []network.PortBinding{pb}
	}
	p := network.MustParsePort
	for _, tc := range []struct {
		spec string
		want network.PortMap
	}{
		{"80", network.PortMap{p("80/tcp"): b("", "")}},
		{"8080:80", network.PortMap{p("80/tcp"): b("", "8080")}},
		{"127.0.0.1::80/udp", network.PortMap{p("80/udp"): b("127.0.0.1", "")}},
		{"127.0.0.1:8080:80", network.PortMap{p("80/tcp"): b("127.0.0.1", "8080")}},
		{"[::1]:8080:80", network.PortMap{p("80/tcp"): b("::1", "8080")}},
		{"8000-8001:80-81", network.PortMap{p("80/tcp"): b("", "8000"), p("81/tcp"): b("", "8001")}},
		{"8000-8010:80", network.PortMap{p("80/tcp"): b("", "8000-8010")}},
		{"99999:80", nil},
		{"8000-8002:80-81", nil},
		{"x:80", nil},
		{"1.2.3:80:80", nil},
		{"0", nil},
	} {
		got, err := parsePublish(tc.spec)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%q: accepted as %v", tc.spec, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.spec, got, err, tc.want)
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
