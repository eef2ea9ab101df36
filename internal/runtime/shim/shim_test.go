package shim

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name         string
		ws           unix.WaitStatus
		code, signal int
	}{
		{"exit 0", 0, 0, 0},
		{"exit 3", 3 << 8, 3, 0},
		{"sigkill", unix.WaitStatus(unix.SIGKILL), 137, 9},
		{"sigterm", unix.WaitStatus(unix.SIGTERM), 143, 15},
	}
	for _, tt := range tests {
		st := exitStatus(tt.ws)
		if st.Code != tt.code || st.Signal != tt.signal || st.ExitedAt.IsZero() {
			t.Errorf("%s: got %+v, want code %d signal %d", tt.name, st, tt.code, tt.signal)
		}
	}
}

func TestLastLoggedError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runtime.log")
	os.WriteFile(path, []byte(`{"level":"warning","msg":"w"}
{"level":"error","msg":"first"}
not json
{"level":"error","msg":"runc run failed: last"}
{"level":"info","msg":"i"}
`), 0o600)
	if got := lastLoggedError(path); got != "runc run failed: last" {
		t.Errorf("got %q", got)
	}
	if got := lastLoggedError(path + ".none"); got != "" {
		t.Errorf("absent log: %q", got)
	}
}

func TestClientBacklog(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := newClient(a)
	chunk := make([]byte, clientBacklog/4)
	for i := 0; i < 4; i++ {
		if !c.enqueue(chunk) {
			t.Fatalf("chunk %d refused within the backlog", i)
		}
	}
	if c.enqueue([]byte{1}) {
		t.Error("enqueue past the backlog accepted")
	}
	c.drop()
	if !c.enqueue(chunk) { // a closed client swallows output silently
		t.Error("enqueue on a dropped client must not report slowness again")
	}
	c.run() // drains the queue and returns once the connection is closed
}
