package container

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// crun compiles the spec's seccomp profile with libseccomp at every create
// (a name lookup per syscall, then the BPF generation: over a millisecond
// of every start for Docker's profile) and keeps the result in its state
// directory as seccomp.bpf, for exec. It also takes a compiled filter in
// the run.oci.seccomp_bpf_data annotation (crun(1)), ignoring the profile
// then. seccompCache keeps the filter crun compiled for a profile and hands
// it to the next containers with the same profile: the very bytes crun
// would compile, by crun itself.
const crunSeccompAnnotation = "run.oci.seccomp_bpf_data"

type seccompCache struct {
	mu      sync.Mutex
	filters map[[sha256.Size]byte]string // profile digest -> base64 BPF
}

// seccompKey identifies a profile (and the runtime compiling it).
func seccompKey(runtime string, p *specs.LinuxSeccomp) ([sha256.Size]byte, bool) {
	data, err := json.Marshal(p)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(append([]byte(runtime+"\x00"), data...)), true
}

// apply gives spec the compiled filter for its profile when known; it
// reports whether the runtime will compile it instead.
func (sc *seccompCache) apply(runtime string, spec *specs.Spec) (compiles bool) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return false
	}
	key, ok := seccompKey(runtime, spec.Linux.Seccomp)
	if !ok {
		return false
	}
	sc.mu.Lock()
	bpf, ok := sc.filters[key]
	sc.mu.Unlock()
	if !ok {
		return true
	}
	if spec.Annotations == nil {
		spec.Annotations = map[string]string{}
	}
	spec.Annotations[crunSeccompAnnotation] = bpf
	return false
}

// learn keeps the filter crun compiled for spec's profile when it created
// container id in stateRoot.
func (sc *seccompCache) learn(runtime string, spec *specs.Spec, stateRoot, id string) {
	key, ok := seccompKey(runtime, spec.Linux.Seccomp)
	if !ok {
		return
	}
	data, err := os.ReadFile(filepath.Join(stateRoot, id, "seccomp.bpf"))
	if err != nil || len(data) == 0 || len(data)%8 != 0 { // sock_filter: 8 bytes each
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.filters == nil {
		sc.filters = map[[sha256.Size]byte]string{}
	}
	if len(sc.filters) >= 64 { // custom profiles: keep the cache bounded
		clear(sc.filters)
	}
	sc.filters[key] = base64.StdEncoding.EncodeToString(data)
}
