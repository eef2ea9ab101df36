package bridge

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/vishvananda/netlink"
)

// serve6 listens on [::]:port (IPv6 only) in the netns at path and
// answers every connection with greeting.
func serve6(t *testing.T, n *Network, path string, port int, greeting string) {
	t.Helper()
	var l net.Listener
	err := inNetNS(n, path, func() (err error) {
		l, err = net.Listen("tcp6", "[::]:"+strconv.Itoa(port))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, greeting)
			c.Close()
		}
	}()
}

func fetch6(addr string) (string, error) {
	c, err := net.DialTimeout("tcp6", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestPublishedPortsIPv6: on a network with IPv6 a port published without
// a host address answers on IPv4 and IPv6 at the same host port, from the
// host on [::1] and on its own IPv6 address and from another container
// (hairpin); detach removes the rules.
func TestPublishedPortsIPv6(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	loUp(t)
	cfg := userConfig(t, "p6", "10.213.0.0/24", true)
	cfg.Subnet6 = "fd42:78::/64"
	n := newTestNetwork(t, cfg)
	ep, err := n.Attach(ctx, "server")
	if err != nil {
		t.Fatal(err)
	}
	serve6(t, n, ep.NetNSPath, 80, "hello6")
	got, err := n.Publish(ctx, "server", []PortMapping{{Proto: "tcp", ContainerPort: 80},
		{Proto: "tcp", HostIP: net.IPv6loopback, HostPort: 18443, ContainerPort: 80}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].isV6() || !got[1].HostIP.Equal(net.IPv6unspecified) || got[0].HostPort != got[1].HostPort {
		t.Fatalf("mappings = %v", got)
	}
	port := strconv.Itoa(int(got[1].HostPort))
	// Two host ports on [::1] for the same container port: the replies
	// of each get their own host port back.
	for _, addr := range []string{net.JoinHostPort("::1", port), "[::1]:18443", net.JoinHostPort(n.Gateway6().String(), port)} {
		if s, err := fetch6(addr); err != nil || s != "hello6" {
			t.Errorf("from the host to %s: %q, %v", addr, s, err)
		}
	}
	client, err := n.Attach(ctx, "client")
	if err != nil {
		t.Fatal(err)
	}
	err = inNetNS(n, client.NetNSPath, func() error {
		s, err := fetch6(net.JoinHostPort(n.Gateway6().String(), port))
		if err == nil && s != "hello6" {
			err = fmt.Errorf("got %q", s)
		}
		return err
	})
	if err != nil {
		t.Errorf("hairpin from another container: %v", err)
	}
	if _, err := n.Publish(ctx, "client", []PortMapping{{Proto: "tcp", HostIP: net.IPv6loopback, HostPort: got[1].HostPort, ContainerPort: 80}}); err == nil {
		t.Error("[::1] on a port published on [::] was accepted")
	}
	if err := n.Detach(ctx, "server"); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch6(net.JoinHostPort("::1", port)); err == nil {
		t.Error("port still answers on [::1] after detach")
	}
	if addrs, _ := netlink.AddrList(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Index: n.bridge}}, netlink.FAMILY_V6); len(addrs) > 0 {
		for _, a := range addrs {
			if n.standInNet().Contains(a.IP) {
				t.Errorf("stand-in address %s left after detach", a.IPNet)
			}
		}
	}
	if l, err := net.Listen("tcp6", "[::]:"+port); err != nil {
		t.Errorf("host port still reserved after detach: %v", err)
	} else {
		l.Close()
	}
}
