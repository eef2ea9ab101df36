package cli

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func servePing(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "berth.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.47")
		_, _ = w.Write([]byte("OK"))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sock
}

func TestListening(t *testing.T) {
	sock := servePing(t)
	if !listening(sock) {
		t.Error("served socket not listening")
	}
	if listening(filepath.Join(t.TempDir(), "absent.sock")) {
		t.Error("absent socket listening")
	}
}

func TestWaitReady(t *testing.T) {
	sock := servePing(t)
	if err := waitReady(context.Background(), "unix://"+sock, make(chan struct{})); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	close(exited)
	start := time.Now()
	err := waitReady(context.Background(), "unix://"+filepath.Join(t.TempDir(), "absent.sock"), exited)
	if err == nil || !strings.Contains(err.Error(), "exited during start-up") || time.Since(start) > 5*time.Second {
		t.Errorf("dead daemon: %v after %s", err, time.Since(start))
	}
}
