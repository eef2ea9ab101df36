package image

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestCrashDuringPush kills the daemon while a push is half-way (the
// registry stops receiving behind a proxy). After the restart the image is
// intact and runs, nothing is left in ingest or half-unpacked, and pushing
// again completes; a pull of the pushed image gives the same content.
func TestCrashDuringPush(t *testing.T) {
	requireTool(t, dockerCLI)
	src := registry.Start(t, registry.Options{})
	dst := registry.Start(t, registry.Options{})
	d := newDaemon(t)
	repo := src.Addr + "/crash/push"
	buildBigImage(t, d, repo+":v1")

	proxy, stalled := stallUploadProxy(t, dst.Addr, 6<<20)
	via := proxy + "/crash/push:v1"
	docker(t, d, "tag", repo+":v1", via)
	cmd := startDocker(t, d, nil, "push", via)
	select {
	case <-stalled:
	case <-time.After(60 * time.Second):
		t.Fatalf("push never reached the stall point\n%s", tail(d.Log(), 2000))
	}
	crashAndRestart(t, d, cmd)

	s := storeState(t, d)
	if s.ingest != 0 || s.tmp != 0 {
		t.Fatalf("partial data after restart: %+v", s)
	}
	if out := docker(t, d, "run", "--rm", via, "sh", "-c", "wc -c < /layer3"); strings.TrimSpace(out) != "8000000" {
		t.Fatalf("image after crash: %q", out)
	}
	direct := dst.Addr + "/crash/push:v1"
	docker(t, d, "tag", via, direct)
	docker(t, d, "push", direct)
	docker(t, d, "rmi", via, direct, repo+":v1")
	docker(t, d, "pull", direct)
	if out := docker(t, d, "run", "--rm", direct, "sh", "-c", "wc -c < /layer1"); strings.TrimSpace(out) != "8000000" {
		t.Fatalf("pulled after re-push: %q", out)
	}
}

// stallUploadProxy forwards to target and stops forwarding the client's
// bytes once limit have gone through; stalled closes at that point. The
// connections hang until the test ends.
func stallUploadProxy(t *testing.T, target string, limit int64) (string, <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		sent  int64
		conns []net.Conn
		once  sync.Once
	)
	stalled, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		l.Close()
		close(release)
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	budget := func(n int64) int64 {
		mu.Lock()
		defer mu.Unlock()
		n = min(n, limit-sent)
		sent += n
		return n
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { _, _ = io.Copy(c, up) }()
			go func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						ok := budget(int64(n))
						if _, werr := up.Write(buf[:ok]); werr != nil {
							return
						}
						if ok < int64(n) {
							once.Do(func() { close(stalled) })
							<-release
							return
						}
					}
					if err != nil {
						up.Close()
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String(), stalled
}
