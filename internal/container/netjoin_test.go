package container

import (
	"slices"
	"testing"

	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestParseBandwidth(t *testing.T) {
	for in, want := range map[string]uint64{"10mbit": 10e6, "500kbit": 500e3, "1g": 1e9, "64000": 64000, "8MBIT": 8e6,
		"": 0, "fast": 0, "0mbit": 0, "10tbit": 0, "-1": 0} {
		got, err := parseBandwidth(in)
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseLinkAndEnvPrefix(t *testing.T) {
	for in, want := range map[string][2]string{"db:pg": {"db", "pg"}, "db": {"db", "db"}, "/db:/app/pg": {"db", "pg"}} {
		if n, a := parseLink(in); n != want[0] || a != want[1] {
			t.Errorf("%q: %s %s", in, n, a)
		}
	}
	if got := envPrefix("my-db.1"); got != "MY_DB_1" {
		t.Errorf("envPrefix: %s", got)
	}
	env := portEnv("PG", "172.18.0.2", network.MustParsePort("5432/tcp"))
	want := []string{"PG_PORT_5432_TCP=tcp://172.18.0.2:5432", "PG_PORT_5432_TCP_ADDR=172.18.0.2", "PG_PORT_5432_TCP_PORT=5432", "PG_PORT_5432_TCP_PROTO=tcp"}
	if !slices.Equal(env, want) {
		t.Errorf("portEnv = %v", env)
	}
}

func TestExtraHostsAndResolvConf(t *testing.T) {
	c := &Container{Config: &ctr.Config{}, HostConfig: &ctr.HostConfig{ExtraHosts: []string{"a:1.2.3.4", "gw:host-gateway", "b=5.6.7.8"},
		DNSSearch: []string{"x.test"}}}
	c.Network = &Endpoint{Gateway: "172.18.0.1", DNS: "172.18.0.1"}
	if got := extraHosts(c); !slices.Equal(got, []string{"a:1.2.3.4", "gw:172.18.0.1", "b:5.6.7.8"}) {
		t.Errorf("extraHosts = %v", got)
	}
	got := string(customResolvConf(c, []byte("nameserver 9.9.9.9\nsearch old\n")))
	if got != "nameserver 172.18.0.1\nsearch x.test\n" {
		t.Errorf("resolv.conf = %q", got)
	}
}
