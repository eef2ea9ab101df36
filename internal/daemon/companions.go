package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// companion returns the executable name next to the daemon's binary self,
// if there is one.
func companion(self, name string) (string, bool) {
	p := filepath.Join(filepath.Dir(self), name)
	st, err := os.Stat(p)
	return p, err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// shimBinary picks the binary run as each container's shim: the lean
// `berth-shim` next to the daemon's binary when it is there, else the
// daemon's binary itself (`berth-daemon shim`). Both run the same code; the
// lean one holds only the shim's packages, so each container's monitor
// starts faster and keeps about half the private memory of the full binary
// (see bench/runtime.sh).
func shimBinary(self string) string {
	if p, ok := companion(self, "berth-shim"); ok {
		return p
	}
	return self
}

// berthCrun is Berth's own build of crun (scripts/build-crun.sh): the
// Debian source of the installed crun, without systemd and linked
// statically. Loading Debian's build's eleven shared libraries costs about
// 3 ms of CPU per exec, and every container start execs the runtime.
const berthCrun = "berth-crun"

// installedCrun returns the Debian source version of the installed crun
// package, which build-crun.sh stamps its build with; cached, since the
// daemon looks runtimes up a few times at start.
var installedCrun = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${source:Version}", "crun").Output()
	return strings.TrimSpace(string(out)), err
})

// currentBerthCrun returns berth-crun beside the daemon's binary when it
// was built from the crun package installed now (its .version stamp). A
// build older than the installed package (a security update not yet
// rebuilt by `make build`) is passed over for the system's crun; stale is
// then its stamp, for a warning.
func currentBerthCrun(self string) (path, stale string, ok bool) {
	p, ok := companion(self, berthCrun)
	if !ok {
		return "", "", false
	}
	stamp, err := os.ReadFile(p + ".version")
	built := strings.TrimSpace(string(stamp))
	if err != nil || built == "" {
		built = "an unknown crun version"
	}
	if installed, err := installedCrun(); err == nil && installed == built {
		return p, "", true
	}
	return "", built, false
}

// lookRuntime finds the binary of the OCI runtime name: a current
// berth-crun next to the daemon's binary for "crun" when there is one,
// else name on PATH (or name itself, when it is a path).
func lookRuntime(self, name string) (string, error) {
	if name == "crun" {
		if p, _, ok := currentBerthCrun(self); ok {
			return p, nil
		}
	}
	return exec.LookPath(name)
}
