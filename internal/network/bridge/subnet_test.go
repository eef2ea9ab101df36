package bridge

import (
	"fmt"
	"net"
	"testing"
)

func cidrs(t *testing.T, ss ...string) []*net.IPNet {
	t.Helper()
	var out []*net.IPNet
	for _, s := range ss {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestPickSubnet(t *testing.T) {
	all172 := []string{}
	for b := 18; b <= 31; b++ {
		all172 = append(all172, net.IPv4(172, byte(b), 0, 0).String()+"/16")
	}
	tests := []struct {
		name     string
		occupied []string
		want     string
	}{
		{"empty host", nil, "172.18.0.0/16"},
		{"docker0 only", []string{"172.17.0.0/16"}, "172.18.0.0/16"},
		{"other bridge", []string{"172.17.0.0/16", "172.18.0.0/16"}, "172.19.0.0/16"},
		{"small route inside", []string{"172.18.5.0/24", "172.19.0.1/32"}, "172.20.0.0/16"},
		{"wide route covering", []string{"172.16.0.0/12"}, "192.168.0.0/24"},
		{"all 172 and some 192", append(all172, "192.168.0.0/24", "192.168.1.0/24"), "192.168.2.0/24"},
		{"lan /16", []string{"172.16.0.0/12", "192.168.0.0/16"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickSubnet(cidrs(t, tt.occupied...))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %s, want error", got)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestIPAM(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("10.9.8.0/29") // .1 gateway, .2-.6 free, .7 broadcast
	a := newIPAM(subnet, net.ParseIP("10.9.8.1"))
	var got []string
	for i := 0; i < 5; i++ {
		ip, err := a.allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ip.String())
	}
	if want := "[10.9.8.2 10.9.8.3 10.9.8.4 10.9.8.5 10.9.8.6]"; fmt.Sprint(got) != want {
		t.Fatalf("got %v want %s", got, want)
	}
	if ip, err := a.allocate(); err == nil {
		t.Fatalf("allocated %s from a full subnet", ip)
	}
	a.release(net.ParseIP("10.9.8.4"))
	a.release(net.ParseIP("10.9.8.7")) // broadcast stays reserved
	if ip, _ := a.allocate(); ip.String() != "10.9.8.4" {
		t.Fatalf("reuse got %v", ip)
	}
	b := newIPAM(subnet, net.ParseIP("10.9.8.1"))
	b.mark(net.ParseIP("10.9.8.2"))
	b.mark(net.ParseIP("192.0.2.1")) // outside: ignored
	if ip, _ := b.allocate(); ip.String() != "10.9.8.3" {
		t.Fatalf("after restore got %v", ip)
	}
}
