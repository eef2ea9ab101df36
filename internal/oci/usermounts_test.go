package oci

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestAddMounts(t *testing.T) {
	s := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc"},
		{Destination: "/dev/shm", Type: "tmpfs"},
		{Destination: "/etc/hosts", Type: "bind"},
	}}
	AddMounts(s, []specs.Mount{
		{Destination: "/data/sub", Type: "bind", Source: "/b"},
		{Destination: "/data", Type: "bind", Source: "/a"},
		{Destination: "/dev/shm/", Type: "bind", Source: "/c"},
	})
	want := []string{"/proc", "/etc/hosts", "/data", "/data/sub", "/dev/shm/"}
	if len(s.Mounts) != len(want) {
		t.Fatalf("mounts %+v", s.Mounts)
	}
	for i, m := range s.Mounts {
		if m.Destination != want[i] {
			t.Errorf("mount %d = %s, want %s", i, m.Destination, want[i])
		}
	}
}
