package bridge

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func testConfig(t *testing.T) Config {
	dir := t.TempDir()
	return Config{
		BridgeName: "bt0",
		StateFile:  filepath.Join(dir, "bridge.json"),
		NetNSDir:   filepath.Join(dir, "netns"),
		TableName:  "berth-test",
	}
}

func newTestNetwork(t *testing.T, cfg Config) *Network {
	t.Helper()
	n, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.Prune(context.Background(), nil)
		if err := n.Teardown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return n
}

// foreignDropChain stands in for Docker's iptables-nft `ip filter FORWARD`
// chain with policy drop.
func foreignDropChain(t *testing.T) {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	drop := nftables.ChainPolicyDrop
	tbl := c.AddTable(&nftables.Table{Name: foreignTable, Family: nftables.TableFamilyIPv4})
	c.AddChain(&nftables.Chain{Name: foreignChain, Table: tbl, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DelTable(tbl)
		_ = c.Flush()
	})
}

// outside makes a netns "upstream" reachable through an uplink veth
// (10.99.0.2 here, 10.99.0.1 there); the upstream has no route back to the
// bridge subnet, so pings only work through masquerade, and only when the
// foreign FORWARD chain's drop policy is overridden.
func outside(t *testing.T, n *Network) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upstream")
	err := n.onFreshThread(func() error {
		if err := newNetNS(path); err != nil {
			return err
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		attrs := netlink.NewLinkAttrs()
		attrs.Name, attrs.Flags = "up0", net.FlagUp
		if err := n.h.LinkAdd(&netlink.Veth{LinkAttrs: attrs, PeerName: "eth0", PeerNamespace: netlink.NsFd(fd)}); err != nil {
			return err
		}
		up, err := n.h.LinkByName("up0")
		if err != nil {
			return err
		}
		if err := n.h.AddrAdd(up, mustAddr("10.99.0.2/24")); err != nil {
			return err
		}
		// Inside: address and link up, but no route back to the bridge subnet.
		eth, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		if err := netlink.AddrAdd(eth, mustAddr("10.99.0.1/24")); err != nil {
			return err
		}
		return netlink.LinkSetUp(eth)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeNetNS(path) })
}

func mustAddr(s string) *netlink.Addr {
	a, err := netlink.ParseAddr(s)
	if err != nil {
		panic(err)
	}
	return a
}

func ping(t *testing.T, netnsPath string, ip net.IP) error {
	t.Helper()
	bb := testutil.BusyboxPath(t)
	out, err := exec.Command("nsenter", "--net="+netnsPath, bb, "ping", "-c", "1", "-W", "2", ip.String()).CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)) + ": " + err.Error())
	}
	return nil
}

func TestBridgeEndToEnd(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	foreignDropChain(t)
	cfg := testConfig(t)
	n := newTestNetwork(t, cfg)
	outside(t, n)
	if got := n.Subnet().String(); got != "172.18.0.0/16" || n.Gateway().String() != "172.18.0.1" {
		t.Fatalf("subnet %s gateway %s", got, n.Gateway())
	}

	start := time.Now()
	c1, err := n.Attach(ctx, "c1aaaaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Attach took %v", time.Since(start))
	c2, err := n.Attach(ctx, "c2bbbbbbbbbbbbbb")
	if err != nil {
		t.Fatal(err)
	}
	if c1.IP.String() != "172.18.0.2" || c2.IP.String() != "172.18.0.3" || c1.MAC.String() != "02:42:ac:12:00:02" {
		t.Fatalf("endpoints %+v %+v", c1, c2)
	}
	if _, err := n.Attach(ctx, "c1aaaaaaaaaaaaaa"); err == nil {
		t.Fatal("second Attach of the same container succeeded")
	}
	for _, tc := range []struct {
		from *Endpoint
		to   net.IP
	}{{c1, c2.IP}, {c2, c1.IP}, {c1, n.Gateway()}, {c2, net.ParseIP("10.99.0.1")}} {
		if err := ping(t, tc.from.NetNSPath, tc.to); err != nil {
			t.Errorf("ping %s -> %s: %v", tc.from.IP, tc.to, err)
		}
	}
	checkKernelRules(t, n)

	// A second New (daemon restart) changes nothing and duplicates nothing.
	again, err := New(ctx, Config{BridgeName: cfg.BridgeName, StateFile: cfg.StateFile, NetNSDir: cfg.NetNSDir, TableName: cfg.TableName})
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	checkKernelRules(t, n)

	if err := n.Detach(ctx, "c1aaaaaaaaaaaaaa"); err != nil {
		t.Fatal(err)
	}
	if err := n.Detach(ctx, "c1aaaaaaaaaaaaaa"); err != nil {
		t.Fatalf("second Detach: %v", err)
	}
	assertGone(t, n, c1)
	c3, err := n.Attach(ctx, "c3cccccccccccccc")
	if err != nil {
		t.Fatal(err)
	}
	if c3.IP.String() != "172.18.0.2" {
		t.Errorf("freed address not reused: %s", c3.IP)
	}
	if err := n.Prune(ctx, map[string]bool{"c2bbbbbbbbbbbbbb": true}); err != nil {
		t.Fatal(err)
	}
	assertGone(t, n, c3)
	if err := ping(t, c2.NetNSPath, n.Gateway()); err != nil {
		t.Errorf("kept container lost connectivity after Prune: %v", err)
	}
}

func assertGone(t *testing.T, n *Network, ep *Endpoint) {
	t.Helper()
	if _, err := os.Stat(ep.NetNSPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("netns %s still there: %v", ep.NetNSPath, err)
	}
	if _, err := n.h.LinkByName(ep.HostVeth); err == nil {
		t.Errorf("veth %s still there", ep.HostVeth)
	}
}

// checkKernelRules compares what the kernel holds with the programmed set.
func checkKernelRules(t *testing.T, n *Network) {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tbl := n.rules.tableRef()
	for name, want := range map[string][][]expr.Any{chainPostrouting: n.rules.postrouting, chainForward: n.rules.forward} {
		rules, err := c.GetRules(tbl, &nftables.Chain{Name: name, Table: tbl})
		if err != nil {
			t.Fatal(err)
		}
		compareRules(t, name, rules, want)
	}
	ch, ok := foreignChainRef(c)
	if !ok {
		t.Fatal("foreign chain vanished")
	}
	ours, err := n.rules.foreignRules(c, ch)
	if err != nil {
		t.Fatal(err)
	}
	compareRules(t, "foreign", ours, n.rules.foreign)
}

func compareRules(t *testing.T, chain string, got []*nftables.Rule, want [][]expr.Any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("chain %s: %d rules in kernel, want %d", chain, len(got), len(want))
	}
	for i := range want {
		if g, w := renderRule(got[i].Exprs), renderRule(want[i]); g != w {
			t.Errorf("chain %s rule %d:\nkernel: %s\nwant:   %s", chain, i, g, w)
		}
	}
}

func TestTeardownLeavesNothing(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	foreignDropChain(t)
	n, err := New(ctx, testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName("bt0"); err == nil {
		t.Error("bridge left behind")
	}
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTableOfFamily("berth-test", nftables.TableFamilyIPv4); err == nil {
		t.Error("nft table left behind")
	}
	ch, ok := foreignChainRef(c)
	if !ok {
		t.Fatal("Teardown removed the foreign chain")
	}
	rules, err := c.GetRules(ch.Table, ch)
	if err != nil || len(rules) != 0 {
		t.Errorf("foreign rules left: %d %v", len(rules), err)
	}
}

func TestNewPicksFreeSubnetAndRemembersIt(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	attrs := netlink.NewLinkAttrs()
	attrs.Name = "occupied0"
	dummy := &netlink.Bridge{LinkAttrs: attrs} // dummy interfaces are not built into every kernel
	if err := netlink.LinkAdd(dummy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(dummy) })
	if err := netlink.AddrAdd(dummy, mustAddr("172.18.3.1/24")); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	n := newTestNetwork(t, cfg)
	if got := n.Subnet().String(); got != "172.19.0.0/16" {
		t.Fatalf("picked %s next to 172.18.3.0/24", got)
	}
	// The state file wins even once the subnet no longer looks free.
	n.Close()
	n2, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if got := n2.Subnet().String(); got != "172.19.0.0/16" {
		t.Fatalf("restart picked %s", got)
	}
}
