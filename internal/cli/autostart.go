package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

const (
	defaultDataRoot = "/var/lib/berth"
	daemonLog       = "berth-daemon.log"
	startTimeout    = 15 * time.Second
)

// autoStart makes sure a daemon answers on host, the default unix socket:
// when nothing listens there it execs `berth daemon` detached (own
// session, output to <data-root>/berth-daemon.log) and waits for /_ping.
// A lock file keeps concurrent CLIs from starting two daemons.
func autoStart(ctx context.Context, host string) error {
	sock := strings.TrimPrefix(host, "unix://")
	if listening(sock) {
		return nil
	}
	// The lock lives in the data root: the daemon may mount a tmpfs on the
	// socket's directory (its exec root), which would hide a lock file
	// there from the next CLI.
	unlock, err := lockStart(defaultDataRoot)
	if err != nil {
		return nil // cannot manage the daemon (not root?): let the connection error speak
	}
	defer unlock()
	if listening(sock) {
		return nil
	}
	exited, err := spawnDaemon()
	if err != nil {
		return err
	}
	return waitReady(ctx, host, exited)
}

// listening reports whether something accepts connections on sock.
func listening(sock string) bool {
	conn, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

func lockStart(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "autostart.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { _ = f.Close() }, nil
}

// spawnDaemon starts the engine (berth-daemon, as `berth daemon` does) in
// its own session and returns a channel closed when it exits.
func spawnDaemon() (<-chan struct{}, error) {
	bin, err := daemonBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(defaultDataRoot, 0o711); err != nil {
		return nil, fmt.Errorf("starting berth daemon: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(defaultDataRoot, daemonLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("starting berth daemon: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting berth daemon: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return exited, nil
}

// waitReady polls /_ping until the daemon answers, it exits, or the
// start timeout passes.
func waitReady(ctx context.Context, host string, exited <-chan struct{}) error {
	api, err := client.New(client.WithHost(host))
	if err != nil {
		return err
	}
	defer api.Close()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	logPath := filepath.Join(defaultDataRoot, daemonLog)
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		_, err := api.Ping(pctx, client.PingOptions{})
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("berth daemon exited during start-up; see %s", logPath)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("berth daemon did not answer on %s within %s; see %s", host, startTimeout, logPath)
			}
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
