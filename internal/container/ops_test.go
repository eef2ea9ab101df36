package container

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	ctr "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

func TestParsePS(t *testing.T) {
	out := "UID   PID  PPID  C STIME TTY  TIME     CMD\n" +
		"root  10   1     0 10:00 ?    00:00:00 sh -c while true; do sleep 1; done\n" +
		"root  11   10    0 10:00 ?    00:00:00 sleep 1\n" +
		"root  99   1     0 10:00 ?    00:00:00 other\n"
	resp, err := parsePS(out, map[int]bool{10: true, 11: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Titles) != 8 || len(resp.Processes) != 2 {
		t.Fatalf("got %+v", resp)
	}
	if got := resp.Processes[0][7]; got != "sh -c while true; do sleep 1; done" {
		t.Errorf("command column %q", got)
	}
	if _, err := parsePS("USER COMMAND\nroot x\n", nil); err == nil {
		t.Error("ps output without PID accepted")
	}
}

func TestPruneMatch(t *testing.T) {
	c := &Container{Created: time.Unix(1000, 0), Config: &ctr.Config{Labels: map[string]string{"env": "test"}}}
	tests := []struct {
		until time.Time
		f     map[string][]string
		want  bool
	}{
		{time.Time{}, nil, true},
		{time.Unix(2000, 0), nil, true},
		{time.Unix(500, 0), nil, false},
		{time.Time{}, map[string][]string{"label": {"env=test"}}, true},
		{time.Time{}, map[string][]string{"label": {"env=prod"}}, false},
		{time.Time{}, map[string][]string{"label!": {"env"}}, false},
		{time.Time{}, map[string][]string{"label!": {"other"}}, true},
	}
	for i, tt := range tests {
		if got := pruneMatch(c, tt.until, tt.f); got != tt.want {
			t.Errorf("%d: got %v", i, got)
		}
	}
}

func TestPausedDisplay(t *testing.T) {
	st := State{Status: ctr.StateRunning, Paused: true, StartedAt: time.Now()}
	if st.display() != ctr.StatePaused || !strings.HasSuffix(statusString(st), "(Paused)") {
		t.Errorf("paused: %s %q", st.display(), statusString(st))
	}
	st.Status = ctr.StateExited // a paused container that was killed
	if st.display() != ctr.StateExited || st.isPaused() {
		t.Errorf("exited: %s", st.display())
	}
}

func TestUpperChanges(t *testing.T) {
	testutil.RequiresRoot(t) // whiteouts are character devices
	dir := t.TempDir()
	lower, upper := filepath.Join(dir, "lower"), filepath.Join(dir, "upper")
	for _, p := range []string{"etc/passwd", "etc/group", "bin/sh", "gone/x"} {
		writeFile(t, filepath.Join(lower, p))
	}
	for _, p := range []string{"etc/passwd", "new/file", "etc/hostname", "proc/x"} {
		writeFile(t, filepath.Join(upper, p))
	}
	if err := unix.Mknod(filepath.Join(upper, "etc", "group"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(upper, "bin"), 0o755); err != nil { // copied up, unchanged
		t.Fatal(err)
	}
	changes, err := upperChanges(context.Background(), upper, []string{lower})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, changeKind(c.Kind)+" "+c.Path)
	}
	want := []string{"C /etc", "D /etc/group", "C /etc/passwd", "A /new", "A /new/file"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func changeKind(k ctr.ChangeType) string { return [...]string{"C", "A", "D"}[k] }

func writeFile(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStatInRootfs(t *testing.T) {
	rootfs := t.TempDir()
	writeFile(t, filepath.Join(rootfs, "etc", "passwd"))
	if err := os.Symlink("/", filepath.Join(rootfs, "up")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../etc", filepath.Join(rootfs, "escape")); err != nil {
		t.Fatal(err)
	}
	c := &Container{Name: "c"}
	tests := []struct {
		path, host, link string
		found            bool
	}{
		{"/etc/passwd", "etc/passwd", "", true},
		{"/up/etc/passwd", "etc/passwd", "", true}, // the link resolves inside the rootfs
		{"/escape/passwd", "etc/passwd", "", true}, // .. stops at the rootfs root
		{"/up", "up", "/", true},                   // the last element is not followed
		{"/missing", "", "", false},
	}
	for _, tt := range tests {
		host, st, err := statInRootfs(c, rootfs, tt.path)
		if !tt.found {
			if err == nil || !strings.Contains(err.Error(), "Could not find the file /missing in container c") {
				t.Errorf("%s: %v", tt.path, err)
			}
			continue
		}
		if err != nil || host != filepath.Join(rootfs, tt.host) || st.LinkTarget != tt.link {
			t.Errorf("%s: host %q stat %+v err %v", tt.path, host, st, err)
		}
	}
}
