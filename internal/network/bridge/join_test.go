package bridge

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
)

// userConfig is a user network's config next to the default test bridge.
func userConfig(t *testing.T, name, subnet string, icc bool) Config {
	return Config{
		BridgeName: name, Subnet: subnet, NetNSDir: filepath.Join(t.TempDir(), "netns"),
		TableName: "berth-" + name, VethPrefix: "v" + name, DisableICC: !icc,
	}
}

// TestJoinLeaveAndICC: a container on the default bridge joins a second
// network as eth1 (fixed --ip), reaches a container there, leaves it again
// with its netns intact; on an icc=false network containers reach the
// gateway but not each other.
func TestJoinLeaveAndICC(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	def := newTestNetwork(t, testConfig(t))
	user := newTestNetwork(t, userConfig(t, "bu0", "10.210.0.0/24", true))
	a, err := def.Attach(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := user.Attach(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	fixed := net.ParseIP("10.210.0.77")
	ja, err := user.Join(ctx, "a", a.NetNSPath, "eth1", AttachOptions{IP: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if !ja.IP.Equal(fixed) || ja.HostVeth == a.HostVeth {
		t.Fatalf("joined endpoint %+v", ja)
	}
	if err := ping(t, a.NetNSPath, b.IP); err != nil {
		t.Errorf("a -> b over the joined network: %v", err)
	}
	if _, err := user.Join(ctx, "c", a.NetNSPath, "eth2", AttachOptions{IP: fixed}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("duplicate --ip: %v", err)
	}
	if err := user.Leave(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := ping(t, a.NetNSPath, b.IP); err == nil {
		t.Error("b still reachable after leave")
	}
	if err := ping(t, a.NetNSPath, def.Gateway()); err != nil {
		t.Errorf("default bridge lost after leave: %v", err)
	}

	iso := newTestNetwork(t, userConfig(t, "bi0", "10.211.0.0/24", false))
	x, err := iso.Attach(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	y, err := iso.Attach(ctx, "y")
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(t, x.NetNSPath, iso.Gateway()); err != nil {
		t.Errorf("icc=false: gateway unreachable: %v", err)
	}
	if err := ping(t, x.NetNSPath, y.IP); err == nil {
		t.Error("icc=false: containers reach each other")
	}
	for _, id := range []string{"x", "y", "b"} {
		n := iso
		if id == "b" {
			n = user
		}
		if err := n.Detach(ctx, id); err != nil {
			t.Error(err)
		}
	}
	if err := def.Detach(ctx, "a"); err != nil {
		t.Error(err)
	}
}

// TestIPv6: with Subnet6 the bridge has <prefix>::1 and containers
// <prefix>::1:0:<n> with a default IPv6 route; they reach each other and
// the gateway over IPv6.
func TestIPv6(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	cfg := userConfig(t, "b6", "10.212.0.0/24", true)
	cfg.Subnet6 = "fd42:77::/64"
	n := newTestNetwork(t, cfg)
	a, err := n.Attach(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.Attach(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if a.IP6.String() != "fd42:77::1:0:2" || b.IP6.String() != "fd42:77::1:0:3" || a.Gateway6.String() != "fd42:77::1" {
		t.Fatalf("addresses %s %s via %s", a.IP6, b.IP6, a.Gateway6)
	}
	for _, ip := range []net.IP{b.IP6, a.Gateway6} {
		if err := ping(t, a.NetNSPath, ip); err != nil {
			t.Errorf("ping %s: %v", ip, err)
		}
	}
	for _, id := range []string{"a", "b"} {
		if err := n.Detach(ctx, id); err != nil {
			t.Error(err)
		}
	}
}
