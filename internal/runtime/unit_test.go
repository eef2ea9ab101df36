package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

func TestShimArgsRoundTrip(t *testing.T) {
	in := StartOptions{
		ID: "abc", Bundle: "/b", Runtime: "/usr/bin/crun", RuntimeRoot: "/run/r", SocketPath: "/run/s/abc.sock",
		Tty: true, OpenStdin: true, StdinOnce: true, LogPath: "/b/abc-json.log", LogMaxSize: 1 << 20, LogMaxFiles: 5,
	}
	out, err := ParseShimArgs(ShimArgs(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}

func TestParseShimArgsInvalid(t *testing.T) {
	long := "/" + string(make([]byte, 120))
	for _, args := range [][]string{
		{"--bogus"},
		{"--bundle", "/b", "--runtime-root", "/r", "--socket", "/s"},
		{"--id", "x", "--bundle", "/b", "--runtime-root", "/r", "--socket", long},
	} {
		if _, err := ParseShimArgs(args); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParseShimArgs(%q) = %v, want invalid argument", args, err)
		}
	}
}

func TestStartErrorCodes(t *testing.T) {
	tests := []struct {
		msg  string
		code int
	}{
		{`runc run failed: unable to start container process: exec: "x": executable file not found in $PATH`, 127},
		{`runc run failed: unable to start container process: exec: "/x": stat /x: no such file or directory`, 127},
		{`runc run failed: unable to start container process: exec: "/etc/passwd": permission denied`, 126},
		{`runc run failed: cgroup: something else`, 125},
		{"executable file `nosuch` not found in $PATH: No such file or directory", 127}, // crun
		{"open executable: Permission denied", 126},                                     // crun
	}
	if got := newStartError("executable file `nosuch` not found in $PATH: No such file or directory").Error(); got != `exec: "nosuch": executable file not found in $PATH` {
		t.Errorf("crun message rewritten to %q", got)
	}
	for _, tt := range tests {
		err := fmt.Errorf("container c: %w", newStartError(tt.msg))
		if got := ExitCodeFromStartError(err); got != tt.code {
			t.Errorf("ExitCodeFromStartError(%q) = %d, want %d", tt.msg, got, tt.code)
		}
		if invalid := errdefs.IsInvalidArgument(err); invalid != (tt.code != 125) {
			t.Errorf("%q: invalid argument = %v", tt.msg, invalid)
		}
	}
	if ExitCodeFromStartError(nil) != 0 || ExitCodeFromStartError(errors.New("x")) != 125 {
		t.Error("nil must map to 0, other errors to 125")
	}
}

func TestResponseErrorKinds(t *testing.T) {
	for _, base := range []error{errdefs.ErrNotFound, errdefs.ErrConflict, errdefs.ErrInvalidArgument, errdefs.ErrUnavailable} {
		err := ErrorResponse(fmt.Errorf("ctx: %w", base)).Err()
		if !errors.Is(err, base) || err.Error() != "ctx: "+base.Error() {
			t.Errorf("round trip of %v = %v", base, err)
		}
	}
	if err := (Response{Error: "boom"}).Err(); !errdefs.IsUnknown(err) {
		t.Errorf("unclassified = %v, want unknown", err)
	}
	if (Response{}).Err() != nil {
		t.Error("empty response must be success")
	}
}

func TestReadExitStatus(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := ReadExitStatus(dir); ok || err != nil {
		t.Fatalf("absent: ok=%v err=%v", ok, err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	os.WriteFile(filepath.Join(dir, ExitFile), []byte(`{"code":137,"exitedAt":"`+at.Format(time.RFC3339Nano)+`","signal":9}`), 0o600)
	st, ok, err := ReadExitStatus(dir)
	if !ok || err != nil || st.Code != 137 || st.Signal != 9 || !st.ExitedAt.Equal(at) {
		t.Errorf("got %+v %v %v", st, ok, err)
	}
	os.WriteFile(filepath.Join(dir, ExitFile), []byte(`{`), 0o600)
	if _, _, err := ReadExitStatus(dir); !errdefs.IsDataLoss(err) {
		t.Errorf("corrupt: %v", err)
	}
}
