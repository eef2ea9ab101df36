package shim

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// reapRuntimeOrphans reaps the OCI runtime's own helper processes
// ("runc:[1:CHILD]", or the "runc:[2:INIT]" of an exec killed before it
// ran its command) that died after being reparented to the shim, the
// subreaper. Left as zombies they leak one per exec, and one inside the
// container's PID namespace keeps the container's init from finishing its
// exit (the kernel waits for every pid of the namespace to be reaped), so
// the container never exits: a kill while execs start hung for good. The
// shim's own os/exec children (the runtime CLI, comm "runc") are never
// touched, so their Wait still gets their status. crun's helpers keep the
// comm "crun", the CLI's: one is reaped only when it died inside another
// PID namespace (the container's), where the shim's own commands never run
// (`crun exec` of a missing command leaves such a zombie).
func reapRuntimeOrphans() {
	if !hasZombieChild() {
		return // the common case, without reading /proc
	}
	for _, pid := range childPids() {
		comm, state, ok := procStat(pid)
		if ok && state == 'Z' && (strings.HasPrefix(comm, "runc:[") || strings.HasPrefix(comm, "crun") && nestedPidNS(pid)) {
			var ws unix.WaitStatus
			_, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			for errors.Is(err, unix.EINTR) {
				_, err = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			}
		}
	}
}

// hasZombieChild reports whether some child of the shim has exited and
// waits to be reaped, leaving it unreaped (WNOWAIT). Listing the children
// through /proc costs a directory read per call and a file per thread: a
// quarter of a shim's CPU while containers start.
func hasZombieChild() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	for errors.Is(err, unix.EINTR) {
		err = unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	}
	// Linux sets si_signo to SIGCHLD when it found a child, 0 when none.
	return err == nil && info.Signo != 0
}

// nestedPidNS reports whether pid lives in a PID namespace below the
// shim's (its NSpid lists more than one pid).
func nestedPidNS(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return len(strings.Fields(v)) > 1
		}
	}
	return false
}

// childPids lists the shim's children (orphans it adopted included).
func childPids() []int {
	files, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(field); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// procStat returns a process's command name and state letter.
func procStat(pid int) (comm string, state byte, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false
	}
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open || end+2 >= len(data) {
		return "", 0, false
	}
	return string(data[open+1 : end]), data[end+2], true
}
