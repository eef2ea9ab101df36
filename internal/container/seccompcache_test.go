package container

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSeccompCache(t *testing.T) {
	profile := func(action specs.LinuxSeccompAction) *specs.Spec {
		return &specs.Spec{Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{
			DefaultAction: action, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}}}
	}
	var sc seccompCache
	root := t.TempDir()
	bpf := []byte("\x06\x00\x00\x00\x00\x00\xff\x7f") // one instruction: return ALLOW
	if err := os.MkdirAll(filepath.Join(root, "c1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "c1", "seccomp.bpf"), bpf, 0o600); err != nil {
		t.Fatal(err)
	}

	first := profile(specs.ActErrno)
	if !sc.apply("crun", first) || first.Annotations[crunSeccompAnnotation] != "" {
		t.Fatal("an unknown profile got a filter")
	}
	sc.learn("crun", first, root, "c1")
	sc.learn("crun", first, root, "missing") // nothing to read: ignored

	again := profile(specs.ActErrno)
	if sc.apply("crun", again) {
		t.Fatal("a known profile is compiled again")
	}
	if got := again.Annotations[crunSeccompAnnotation]; got != base64.StdEncoding.EncodeToString(bpf) {
		t.Fatalf("annotation %q", got)
	}
	other := profile(specs.ActKill)
	if !sc.apply("crun", other) || other.Annotations[crunSeccompAnnotation] != "" {
		t.Fatal("another profile got the first one's filter")
	}
	if !sc.apply("crun2", profile(specs.ActErrno)) {
		t.Fatal("another runtime got crun's filter")
	}
	if sc.apply("crun", &specs.Spec{Linux: &specs.Linux{}}) {
		t.Fatal("no profile, yet something to compile")
	}

	// A truncated filter is not learned.
	if err := os.WriteFile(filepath.Join(root, "c1", "seccomp.bpf"), bpf[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	sc.learn("crun", other, root, "c1")
	if !sc.apply("crun", profile(specs.ActKill)) {
		t.Fatal("a truncated filter was learned")
	}
}
