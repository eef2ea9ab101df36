package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/containerd/errdefs"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// inNetNS runs f on a throwaway thread inside the netns at path; sockets f
// creates stay in that netns.
func inNetNS(n *Network, path string, f func() error) error {
	return n.onFreshThread(func() error {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return err
		}
		return f()
	})
}

// serve listens on port in the netns at path and answers every connection
// with greeting.
func serve(t *testing.T, n *Network, path string, port int, greeting string) {
	t.Helper()
	var l net.Listener
	err := inNetNS(n, path, func() (err error) {
		l, err = net.Listen("tcp4", ":"+strconv.Itoa(port))
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

func fetch(addr string) (string, error) {
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func loUp(t *testing.T) {
	t.Helper()
	lo, err := netlink.LinkByName("lo")
	if err == nil {
		err = netlink.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestPublishedPorts(t *testing.T) {
	testutil.RequiresRoot(t)
	requireTestNetNS(t)
	ctx := context.Background()
	loUp(t)
	n := newTestNetwork(t, testConfig(t))
	ep, err := n.Attach(ctx, "server")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, n, ep.NetNSPath, 80, "hello")
	got, err := n.Publish(ctx, "server", []PortMapping{
		{Proto: "tcp", HostPort: 18080, ContainerPort: 80},
		{Proto: "tcp", HostIP: net.ParseIP("127.0.0.1"), ContainerPort: 80},
	})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := ephemeralRange()
	if got[0].HostPort != 18080 || got[1].HostPort < lo || got[1].HostPort > hi {
		t.Fatalf("mappings = %v", got)
	}
	random := strconv.Itoa(int(got[1].HostPort))
	for _, addr := range []string{"127.0.0.1:18080", net.JoinHostPort(n.Gateway().String(), "18080"), "127.0.0.1:" + random} {
		if s, err := fetch(addr); err != nil || s != "hello" {
			t.Errorf("from the host to %s: %q, %v", addr, s, err)
		}
	}
	// Hairpin: another container reaches the port on the host's address.
	client, err := n.Attach(ctx, "client")
	if err != nil {
		t.Fatal(err)
	}
	err = inNetNS(n, client.NetNSPath, func() error {
		s, err := fetch(net.JoinHostPort(n.Gateway().String(), "18080"))
		if err == nil && s != "hello" {
			err = fmt.Errorf("got %q", s)
		}
		return err
	})
	if err != nil {
		t.Errorf("hairpin from another container: %v", err)
	}
	testPortConflicts(t, n)
	if err := n.Detach(ctx, "server"); err != nil {
		t.Fatal(err)
	}
	if rules := kernelPortRules(t, n); rules != 0 {
		t.Errorf("%d port rules left after detach", rules)
	}
	if _, err := fetch("127.0.0.1:18080"); err == nil {
		t.Error("port still answers after detach")
	}
	if l, err := net.Listen("tcp4", ":18080"); err != nil {
		t.Errorf("host port still reserved after detach: %v", err)
	} else {
		l.Close()
	}
}

func testPortConflicts(t *testing.T, n *Network) {
	t.Helper()
	ctx := context.Background()
	host, err := net.Listen("tcp4", "127.0.0.1:18081")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	for _, tc := range []struct {
		name string
		req  PortMapping
		want error
	}{
		{"held by another container", PortMapping{Proto: "tcp", HostIP: net.ParseIP("127.0.0.1"), HostPort: 18080, ContainerPort: 80}, errdefs.ErrConflict},
		{"held by a host process", PortMapping{Proto: "tcp", HostPort: 18081, ContainerPort: 80}, errdefs.ErrConflict},
		{"sctp", PortMapping{Proto: "sctp", HostPort: 18082, ContainerPort: 80}, errdefs.ErrInvalidArgument},
		{"ipv6 host address", PortMapping{Proto: "tcp", HostIP: net.ParseIP("::1"), HostPort: 18082, ContainerPort: 80}, errdefs.ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Publish(ctx, "client", []PortMapping{{Proto: "udp", HostPort: 18083, ContainerPort: 53}, tc.req})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// Nothing half-published: the first mapping's port is free again.
			l, err := net.ListenPacket("udp4", ":18083")
			if err != nil {
				t.Fatalf("udp 18083 still held: %v", err)
			}
			l.Close()
		})
	}
}

func kernelPortRules(t *testing.T, n *Network) int {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tbl := n.rules.tableRef()
	rules, err := c.GetRules(tbl, &nftables.Chain{Name: chainPorts, Table: tbl})
	if err != nil {
		t.Fatal(err)
	}
	return len(rules)
}
