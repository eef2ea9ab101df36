// Package registry starts Debian's docker-registry (the CNCF distribution
// registry) on 127.0.0.1 for tests: a private storage directory, optional
// htpasswd users, and a cleanup that kills only the process it started.
package registry

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Binary is where Debian's docker-registry package installs the registry.
const Binary = "/usr/bin/docker-registry"

// Registry is one running test registry.
type Registry struct {
	Addr string // 127.0.0.1:<port>
	Dir  string // storage, config and log
	cmd  *exec.Cmd
	done chan struct{}
	ca   *testCA // TLS only
}

// Options configure Start.
type Options struct {
	Users map[string]string // htpasswd users (bcrypt); none: no auth
	TLS   bool              // serve https with a certificate from a fresh test CA (see TrustIn)
}

// Start runs a registry and waits until it answers /v2/. It skips t when
// the package is not installed (fails under CI, where it must be).
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: install the docker-registry package", Binary)
		}
		t.Skip("docker-registry not installed")
	}
	r := &Registry{Addr: "127.0.0.1:" + fmt.Sprint(FreePort(t)), Dir: t.TempDir(), done: make(chan struct{})}
	if opts.TLS {
		r.ca = newTestCA(t, r.Dir)
	}
	cfg := filepath.Join(r.Dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(r.config(t, opts)), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(r.Dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	r.cmd = exec.Command(Binary, "serve", cfg)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(r.Stop)
	r.wait(t)
	return r
}

func (r *Registry) config(t testing.TB, opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", filepath.Join(r.Dir, "data"))
	fmt.Fprintf(&b, "http:\n  addr: %s\n  secret: berth-test\n", r.Addr)
	if r.ca != nil {
		fmt.Fprintf(&b, "  tls:\n    certificate: %s\n    key: %s\n", r.ca.certFile, r.ca.keyFile)
	}
	if len(opts.Users) > 0 {
		var lines []string
		for u, p := range opts.Users {
			h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, u+":"+string(h))
		}
		pw := filepath.Join(r.Dir, "htpasswd")
		if err := os.WriteFile(pw, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n", pw)
	}
	return b.String()
}

func (r *Registry) wait(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			log, _ := os.ReadFile(filepath.Join(r.Dir, "registry.log"))
			t.Fatalf("registry exited at start:\n%s", log)
		default:
		}
		get := func() (*http.Response, error) { return http.Get("http://" + r.Addr + "/v2/") }
		if r.ca != nil {
			get = func() (*http.Response, error) { return r.ca.client().Get("https://" + r.Addr + "/v2/") }
		}
		resp, err := get()
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("registry did not answer in time")
}

// Stop kills the registry process (only it) and waits for it.
func (r *Registry) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
