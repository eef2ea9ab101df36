package oci

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestExecProcess(t *testing.T) {
	base := specs.Process{
		Args: []string{"sleep", "100"}, Cwd: "/srv",
		Env:             []string{"PATH=/bin", "HOME=/root", "A=1"},
		User:            specs.User{UID: 0},
		Capabilities:    &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN"}, Effective: []string{"CAP_CHOWN"}},
		NoNewPrivileges: true,
	}
	tests := []struct {
		name     string
		opts     ExecOptions
		env      []string
		cwd      string
		uid      uint32
		caps     int
		terminal bool
	}{
		{"defaults", ExecOptions{Args: []string{"ls"}}, []string{"PATH=/bin", "HOME=/root", "A=1"}, "/srv", 0, 1, false},
		{"env override and add", ExecOptions{Args: []string{"ls"}, Env: []string{"A=2", "B=3"}},
			[]string{"PATH=/bin", "HOME=/root", "A=2", "B=3"}, "/srv", 0, 1, false},
		{"user, home and cwd", ExecOptions{Args: []string{"ls"}, User: &specs.User{UID: 1000}, Home: "/home/u", Cwd: "/tmp"},
			[]string{"PATH=/bin", "HOME=/home/u", "A=1"}, "/tmp", 1000, 1, false},
		{"tty adds TERM", ExecOptions{Args: []string{"sh"}, Tty: true},
			[]string{"PATH=/bin", "HOME=/root", "A=1", "TERM=xterm"}, "/srv", 0, 1, true},
		{"tty keeps user TERM", ExecOptions{Args: []string{"sh"}, Tty: true, Env: []string{"TERM=vt100"}},
			[]string{"PATH=/bin", "HOME=/root", "A=1", "TERM=vt100"}, "/srv", 0, 1, true},
		{"privileged", ExecOptions{Args: []string{"ls"}, Privileged: true}, []string{"PATH=/bin", "HOME=/root", "A=1"}, "/srv", 0, len(allCaps), false},
	}
	saved := hostCapBound
	t.Cleanup(func() { hostCapBound = saved })
	hostCapBound = func() (uint64, bool) { return 1<<uint(len(allCaps)) - 1, true }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ExecProcess(base, tt.opts)
			if !slices.Equal(p.Env, tt.env) || p.Cwd != tt.cwd || p.User.UID != tt.uid || p.Terminal != tt.terminal {
				t.Errorf("got env %v cwd %q uid %d terminal %v", p.Env, p.Cwd, p.User.UID, p.Terminal)
			}
			if len(p.Capabilities.Effective) != tt.caps || !p.NoNewPrivileges || !slices.Equal(p.Args, tt.opts.Args) {
				t.Errorf("caps %v nnp %v args %v", p.Capabilities.Effective, p.NoNewPrivileges, p.Args)
			}
		})
	}
	if !slices.Equal(base.Env, []string{"PATH=/bin", "HOME=/root", "A=1"}) || len(base.Capabilities.Effective) != 1 {
		t.Errorf("base modified: %v", base)
	}
}

func TestBoundedCaps(t *testing.T) {
	saved := hostCapBound
	t.Cleanup(func() { hostCapBound = saved })
	hostCapBound = func() (uint64, bool) { return 1<<0 | 1<<21, true }
	if got := boundedCaps(); !slices.Equal(got, []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}) {
		t.Errorf("got %v", got)
	}
	hostCapBound = func() (uint64, bool) { return 0, false }
	if got := boundedCaps(); len(got) != len(allCaps) {
		t.Errorf("unreadable bounding set: %v", got)
	}
}
