// Package network holds black-box tests of container networking through
// the real docker CLI against a Berth daemon: published ports reached from
// the host and from other containers, port errors and rule cleanup.
package network

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

const dockerCLI = "/usr/local/bin/docker"

func newDaemon(t *testing.T) *daemon.Daemon {
	t.Helper()
	if _, err := exec.LookPath(dockerCLI); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker CLI missing at %s", dockerCLI)
		}
		t.Skip("docker CLI not installed")
	}
	d := daemon.New(t)
	d.Start(t)
	d.ImportBusybox(t)
	return d
}

// docker runs the docker CLI against d and fails t on a non-zero exit.
func docker(t *testing.T, d *daemon.Daemon, args ...string) string {
	t.Helper()
	out, errOut, code := d.Run(t, "", dockerCLI, args...)
	if code != 0 {
		t.Fatalf("docker %s: exit %d\nstdout: %s\nstderr: %s\ndaemon log:\n%s", strings.Join(args, " "), code, out, errOut, tail(d.Log(), 3000))
	}
	return strings.TrimSpace(out)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// freePort returns a TCP port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

// hostAddr is one of the host's own non-loopback IPv4 addresses outside
// the daemon's bridge.
func hostAddr(t *testing.T, bridge string) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || i.Flags&net.FlagUp == 0 || i.Name == bridge ||
			strings.HasPrefix(i.Name, "bt") || strings.HasPrefix(i.Name, "vb") || strings.HasPrefix(i.Name, "veth") {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
				return n.IP.String()
			}
		}
	}
	t.Skip("no non-loopback IPv4 address on this host")
	return ""
}
