package image

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/berth-engine/berth/internal/testutil/registry"
)

// TestCrashDuringPullLoadCommit SIGKILLs the daemon in the middle of a pull
// (the registry stalls behind a proxy half-way), a load (stdin stops
// half-way) and a commit (of a container with a 1 GiB file), restarts it
// and checks that every complete image works, no half-registered image
// exists and the partial data is gone (content/ingest empty, no temporary
// or unreferenced layer directories, no unreferenced blobs).
func TestCrashDuringPullLoadCommit(t *testing.T) {
	requireTool(t, dockerCLI)
	reg := registry.Start(t, registry.Options{})
	d := newDaemon(t)
	base := storeState(t, d)
	repo := reg.Addr + "/crash/big"
	buildBigImage(t, d, repo+":v1")
	docker(t, d, "push", repo+":v1")
	archive := filepath.Join(t.TempDir(), "big.tar")
	docker(t, d, "save", "-o", archive, repo+":v1")
	docker(t, d, "rmi", repo+":v1")
	if got := storeState(t, d); got.layers != base.layers || got.blobs != base.blobs {
		t.Fatalf("rmi left data: %+v, want %+v", got, base)
	}

	t.Run("pull", func(t *testing.T) {
		proxy, _ := stallProxy(t, reg.Addr, 6<<20, false)
		cmd := startDocker(t, d, nil, "pull", proxy+"/crash/big:v1")
		waitPartial(t, d, base)
		crashAndRestart(t, d, cmd)
		assertRecovered(t, d, base, proxy+"/crash/big:v1")
		docker(t, d, "pull", repo+":v1") // the registry directly: a complete pull works
		if out := docker(t, d, "run", "--rm", repo+":v1", "sh", "-c", "wc -c < /layer3"); strings.TrimSpace(out) != "8000000" {
			t.Errorf("pulled image content: %q", out)
		}
		docker(t, d, "rmi", repo+":v1")
	})

	t.Run("load", func(t *testing.T) {
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		cmd := startDocker(t, d, pr, "load")
		go func() { _, _ = pw.Write(data[:len(data)*6/10]) }() // then stall
		waitPartial(t, d, base)
		crashAndRestart(t, d, cmd, func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
		assertRecovered(t, d, base, repo+":v1")
		docker(t, d, "load", "-i", archive)
		if out := docker(t, d, "run", "--rm", repo+":v1", "true"); out != "" {
			t.Errorf("loaded image run: %q", out)
		}
		docker(t, d, "rmi", repo+":v1")
	})

	t.Run("commit", func(t *testing.T) {
		docker(t, d, "run", "--name", "crash-commit", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=1024 2>/dev/null")
		cmd := startDocker(t, d, nil, "commit", "crash-commit", "crashed:v1")
		waitPartial(t, d, base)
		crashAndRestart(t, d, cmd)
		assertRecovered(t, d, base, "crashed:v1")
		docker(t, d, "rm", "crash-commit")
	})
}

// buildBigImage makes ref: busybox plus three layers of 8 MB random data.
func buildBigImage(t *testing.T, d *daemon.Daemon, ref string) {
	t.Helper()
	from := "busybox"
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("big-%d", i)
		docker(t, d, "run", "--name", name, from, "sh", "-c", fmt.Sprintf("head -c 8000000 /dev/urandom > /layer%d", i))
		to := fmt.Sprintf("bigtmp:%d", i)
		if i == 3 {
			to = ref
		}
		docker(t, d, "commit", name, to)
		docker(t, d, "rm", name)
		from = to
	}
	docker(t, d, "rmi", "bigtmp:1", "bigtmp:2") // untag only: ref's parents
}

// state is what the store holds on disk.
type state struct {
	layers, blobs, ingest, tmp int
}

func storeState(t *testing.T, d *daemon.Daemon) state {
	t.Helper()
	var s state
	count := func(dir string, fn func(name string)) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			fn(e.Name())
		}
	}
	for _, drv := range []string{"overlay2", "native"} {
		count(filepath.Join(d.Root, "layers", drv), func(n string) {
			switch {
			case strings.HasPrefix(n, ".tmp-"):
				s.tmp++
			case n != "l":
				s.layers++
			}
		})
	}
	count(filepath.Join(d.Root, "content", "blobs", "sha256"), func(string) { s.blobs++ })
	count(filepath.Join(d.Root, "content", "ingest"), func(string) { s.ingest++ })
	return s
}

// waitPartial waits until the daemon is half-way: data in ingest or a
// layer being unpacked.
func waitPartial(t *testing.T, d *daemon.Daemon, base state) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := storeState(t, d)
		if s.ingest > 0 || s.tmp > 0 || s.blobs > base.blobs {
			time.Sleep(100 * time.Millisecond)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation never started: %+v\n%s", s, tail(d.Log(), 2000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func crashAndRestart(t *testing.T, d *daemon.Daemon, cmd *exec.Cmd, afterKill ...func()) {
	t.Helper()
	if s := storeState(t, d); s.ingest == 0 && s.tmp == 0 {
		t.Logf("note: nothing in flight at kill time: %+v", s)
	}
	d.Kill(t)
	for _, fn := range afterKill {
		fn()
	}
	_ = cmd.Wait() // the client sees the connection drop
	d.Start(t)
}

// assertRecovered checks the store after a restart: partial is absent,
// busybox runs, and the store is back to base.
func assertRecovered(t *testing.T, d *daemon.Daemon, base state, partial string) {
	t.Helper()
	if _, _, code := d.Run(t, "", dockerCLI, "image", "inspect", partial); code == 0 {
		t.Errorf("half-done image %s is registered", partial)
	}
	out := docker(t, d, "images", "-a", "--format", "{{.Repository}}:{{.Tag}}")
	if got := strings.Fields(out); !slices.Equal(got, []string{"busybox:latest"}) {
		t.Errorf("images after restart: %v", got)
	}
	if s := storeState(t, d); s != base {
		t.Errorf("store after restart: %+v, want %+v", s, base)
	}
	if out := docker(t, d, "run", "--rm", "busybox", "echo", "alive"); strings.TrimSpace(out) != "alive" {
		t.Errorf("busybox after restart: %q", out)
	}
}

// startDocker starts the docker CLI against d without waiting for it.
func startDocker(t *testing.T, d *daemon.Daemon, stdin io.Reader, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, dockerCLI, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host(), "DOCKER_CONFIG="+filepath.Join(filepath.Dir(d.Root), "docker-config"))
	cmd.Stdin = stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// stallProxy forwards 127.0.0.1 connections to target and stops
// forwarding once limit bytes have gone through in one direction: the
// registry's responses (upload false: a stalled pull) or the client's
// requests (upload true: a stalled push). stalled closes at that point; the
// connections hang until the test ends.
func stallProxy(t *testing.T, target string, limit int64, upload bool) (string, <-chan struct{}) {
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
	// limited copies src to dst within the budget, then stalls.
	limited := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				ok := budget(int64(n))
				if _, werr := dst.Write(buf[:ok]); werr != nil {
					return
				}
				if ok < int64(n) {
					once.Do(func() { close(stalled) })
					<-release
					return
				}
			}
			if err != nil {
				dst.Close()
				return
			}
		}
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
			if upload {
				go func() { _, _ = io.Copy(c, up) }()
				go limited(up, c)
			} else {
				go func() { _, _ = io.Copy(up, c) }()
				go limited(c, up)
			}
		}
	}()
	return l.Addr().String(), stalled
}
