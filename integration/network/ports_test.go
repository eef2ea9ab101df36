package network

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// httpd serves "hello from <name>" on port 80 of a busybox container.
const httpd = `mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p 80 -h /www`

func get(url string) (string, error) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// eventually retries f for a few seconds (httpd needs a moment to listen).
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = f(); err == nil {
			return
		}
	}
	t.Fatalf("%s: %v", what, err)
}

func expectBody(url, want string) func() error {
	return func() error {
		got, err := get(url)
		if err == nil && !strings.Contains(got, want) {
			err = errors.New("body " + got)
		}
		return err
	}
}

// TestPublishedPorts: -p with a fixed and a random host port reaches
// busybox httpd from the host on 127.0.0.1 and on the host's address and
// from another container (hairpin); docker port, ps and inspect report the
// bindings; the rules go away with the container.
func TestPublishedPorts(t *testing.T) {
	d := newDaemon(t)
	fixed := freePort(t)
	docker(t, d, "run", "-d", "--name", "web", "--hostname", "web", "-p", fixed+":80", "-p", "127.0.0.1::80", "--expose", "9000", "busybox", "sh", "-c", httpd)

	var random string
	for _, line := range strings.Split(docker(t, d, "port", "web", "80/tcp"), "\n") {
		if p, ok := strings.CutPrefix(line, "127.0.0.1:"); ok {
			random = p
		}
	}
	if ports := docker(t, d, "port", "web"); random == "" || !strings.Contains(ports, "80/tcp -> 0.0.0.0:"+fixed) ||
		!strings.Contains(ports, "80/tcp -> 127.0.0.1:"+random) {
		t.Fatalf("docker port: %q", ports)
	}
	host := hostAddr(t, d.Bridge)
	for _, url := range []string{"http://127.0.0.1:" + fixed + "/", "http://" + host + ":" + fixed + "/", "http://127.0.0.1:" + random + "/"} {
		eventually(t, "from the host "+url, expectBody(url, "hello from web"))
	}
	if _, err := get("http://" + host + ":" + random + "/"); err == nil {
		t.Errorf("port published on 127.0.0.1 answers on %s", host)
	}
	// From another container, through the host's address and the gateway.
	gw := docker(t, d, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}", "web")
	for _, addr := range []string{host, gw} {
		out := docker(t, d, "run", "--rm", "busybox", "timeout", "5", "wget", "-qO-", "http://"+addr+":"+fixed+"/")
		if out != "hello from web" {
			t.Errorf("hairpin via %s: %q", addr, out)
		}
	}
	if ps := docker(t, d, "ps", "--format", "{{.Ports}}", "--filter", "name=web"); !strings.Contains(ps, "0.0.0.0:"+fixed+"->80/tcp") ||
		!strings.Contains(ps, "127.0.0.1:"+random+"->80/tcp") || !strings.Contains(ps, "9000/tcp") {
		t.Errorf("ps ports: %q", ps)
	}
	var pm network.PortMap
	if err := json.Unmarshal([]byte(docker(t, d, "inspect", "-f", "{{json .NetworkSettings.Ports}}", "web")), &pm); err != nil {
		t.Fatal(err)
	}
	if b := pm[network.MustParsePort("80/tcp")]; len(b) != 2 || b[0].HostPort != fixed || b[0].HostIP.String() != "0.0.0.0" {
		t.Errorf("inspect ports: %+v", pm)
	}
	if b, ok := pm[network.MustParsePort("9000/tcp")]; !ok || b != nil {
		t.Errorf("exposed-only port: %+v", pm)
	}

	testPortErrors(t, d, fixed)

	docker(t, d, "rm", "-f", "web")
	if n := portRules(t, d); n != 0 {
		t.Errorf("%d port rules left after rm", n)
	}
	if _, err := get("http://127.0.0.1:" + fixed + "/"); err == nil {
		t.Error("port still answers after rm")
	}
	if l, err := net.Listen("tcp4", ":"+fixed); err != nil {
		t.Errorf("host port still held after rm: %v", err)
	} else {
		l.Close()
	}
}

// testPortErrors: a port held by another container or a host process and
// invalid specs are refused clearly and leave nothing published.
func testPortErrors(t *testing.T, d *daemon.Daemon, taken string) {
	_, e, code := d.Run(t, "", dockerCLI, "run", "-d", "--name", "clash", "-p", taken+":80", "busybox", "sleep", "60")
	if code != 125 || !strings.Contains(e, "port is already allocated") {
		t.Errorf("second container on %s: %d %q", taken, code, e)
	}
	if st := docker(t, d, "inspect", "-f", "{{.State.Status}}", "clash"); st != "created" {
		t.Errorf("clash state %q", st)
	}
	hostPort := freePort(t)
	l, err := net.Listen("tcp4", ":"+hostPort)
	if err != nil {
		t.Fatal(err)
	}
	_, e, code = d.Run(t, "", dockerCLI, "run", "--rm", "-p", hostPort+":80", "busybox", "true")
	l.Close()
	if code != 125 || !strings.Contains(e, "address already in use") {
		t.Errorf("port held by a host process: %d %q", code, e)
	}
	if _, e, code := d.Run(t, "", dockerCLI, "run", "--rm", "-p", "99999:80", "busybox", "true"); code == 0 {
		t.Errorf("invalid port accepted: %q", e)
	}
	c := d.Client(t)
	for _, hp := range []string{"abc", "70000"} {
		_, err := c.ContainerCreate(context.Background(), client.ContainerCreateOptions{
			Config: &ctr.Config{Image: "busybox", Cmd: []string{"true"}},
			HostConfig: &ctr.HostConfig{PortBindings: network.PortMap{
				network.MustParsePort("80/tcp"): {{HostPort: hp}},
			}},
		})
		if !errdefs.IsInvalidArgument(err) {
			t.Errorf("host port %q: %v, want 400", hp, err)
		}
	}
	if n := portRules(t, d); n != 2 {
		t.Errorf("%d port rules after refused starts, want web's 2", n)
	}
	// The refused starts made their netns and veth before the ports
	// failed (beside the runtime's create): both are gone, web's stay.
	if ns, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns")); len(ns) != 1 {
		t.Errorf("%d netns files after refused starts, want web's", len(ns))
	}
	if out, _ := exec.Command("ip", "-o", "link", "show", "master", d.Bridge).Output(); strings.Count(string(out), "\n") != 1 {
		t.Errorf("veths on %s after refused starts: %s", d.Bridge, out)
	}
}

// portRules counts the rules in the daemon's ports chain.
func portRules(t *testing.T, d *daemon.Daemon) int {
	t.Helper()
	out, err := exec.Command("nft", "list", "chain", "ip", "berth-"+d.Bridge, "ports").CombinedOutput()
	if err != nil {
		t.Fatalf("nft: %v %s", err, out)
	}
	return strings.Count(string(out), "dnat to")
}

// TestPublishAllAndRestart: -P publishes EXPOSEd ports on random host
// ports; the rules survive a daemon kill and restart and go with the
// container afterwards.
func TestPublishAllAndRestart(t *testing.T) {
	d := newDaemon(t)
	docker(t, d, "run", "-d", "--name", "all", "--hostname", "all", "-P", "--expose", "80", "--expose", "53/udp", "busybox", "sh", "-c", httpd)
	tcp := docker(t, d, "port", "all", "80/tcp")
	if udp := docker(t, d, "port", "all", "53/udp"); !strings.HasPrefix(udp, "0.0.0.0:") {
		t.Fatalf("53/udp: %q", udp)
	}
	addr := "127.0.0.1:" + strings.TrimPrefix(tcp, "0.0.0.0:")
	url := "http://" + addr + "/"
	eventually(t, "-P port", expectBody(url, "hello from all"))
	d.Kill(t)
	d.Start(t)
	eventually(t, "after daemon restart", expectBody(url, "hello from all"))
	if got := docker(t, d, "port", "all", "80/tcp"); got != tcp {
		t.Errorf("port after restart %q, was %q", got, tcp)
	}
	if n := portRules(t, d); n != 2 {
		t.Errorf("%d port rules after restart, want 2", n)
	}
	docker(t, d, "stop", "-t", "1", "all")
	if n := portRules(t, d); n != 0 {
		t.Errorf("%d port rules after stop", n)
	}
	if _, err := net.DialTimeout("tcp4", addr, time.Second); err == nil {
		t.Error("port answers after stop")
	}
}
