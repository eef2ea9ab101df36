package cgroup

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// OOMState is what the kernel reports about out-of-memory conditions in a
// cgroup.
type OOMState struct {
	// Kills counts the processes the OOM killer killed in the cgroup
	// (v1 memory.oom_control oom_kill, v2 memory.events oom_kill), whether
	// the container's init or any other of its processes.
	Kills uint64
	// KillDisabled is v1's oom_kill_disable (--oom-kill-disable).
	KillDisabled bool
	// UnderOOM is set while the cgroup sits at its memory limit with the
	// OOM killer disabled (v1 under_oom): the tasks that need memory are
	// stalled until some is freed, the limit is raised or they are killed.
	UnderOOM bool
}

// OOM reads the cgroup's OOM counters. A missing cgroup is fs.ErrNotExist.
func (c Cgroup) OOM() (OOMState, error) {
	if c.v2 {
		m, err := ReadKeyed(c.File("", "memory.events"))
		return OOMState{Kills: m["oom_kill"]}, err
	}
	m, err := ReadKeyed(c.File("memory", "memory.oom_control"))
	return OOMState{Kills: m["oom_kill"], KillDisabled: m["oom_kill_disable"] == 1, UnderOOM: m["under_oom"] == 1}, err
}

// OOMNotifier wakes a watcher when the kernel reports an OOM condition in
// a cgroup, so OOM kills and stalls are noticed while the container runs,
// without polling. On v1 it is an eventfd registered for
// memory.oom_control through cgroup.event_control (signalled at every OOM
// of the cgroup, killer enabled or not, and when the cgroup is removed);
// on v2 an inotify watch on memory.events (modified at every oom and
// oom_kill event, and gone with the cgroup).
//
// A notification says only "look now": read OOM for the state. On v1 the
// event precedes the kill, so the kill counter may move a moment later.
type OOMNotifier struct {
	f   *os.File // eventfd or inotify descriptor, in the runtime's poller
	ctl *os.File // v1: memory.oom_control, open while registered
}

// NotifyOOM registers for c's OOM notifications. Close releases them.
func (c Cgroup) NotifyOOM() (*OOMNotifier, error) {
	if c.v2 {
		return c.notifyV2()
	}
	return c.notifyV1()
}

func (c Cgroup) notifyV1() (*OOMNotifier, error) {
	ctl, err := os.Open(c.File("memory", "memory.oom_control"))
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		ctl.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	n := &OOMNotifier{f: os.NewFile(uintptr(efd), "oom-eventfd"), ctl: ctl}
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd()))
	if err := os.WriteFile(c.File("memory", "cgroup.event_control"), []byte(reg), 0); err != nil {
		n.Close()
		return nil, fmt.Errorf("register oom notification: %w", err)
	}
	return n, nil
}

func (c Cgroup) notifyV2() (*OOMNotifier, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	n := &OOMNotifier{f: os.NewFile(uintptr(fd), "oom-inotify")}
	if _, err := unix.InotifyAddWatch(fd, c.File("", "memory.events"), unix.IN_MODIFY); err != nil {
		n.Close()
		return nil, fmt.Errorf("watch memory.events: %w", &os.PathError{Op: "inotify_add_watch", Path: c.File("", "memory.events"), Err: err})
	}
	return n, nil
}

// Wait blocks until a notification arrives (nil), timeout passes
// (os.ErrDeadlineExceeded; 0 waits without limit) or n is closed
// (os.ErrClosed). Notifications that arrived meanwhile are consumed
// together.
func (n *OOMNotifier) Wait(timeout time.Duration) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	if err := n.f.SetReadDeadline(deadline); err != nil {
		return err
	}
	buf := make([]byte, 4096) // an eventfd counter or inotify records
	_, err := n.f.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
		return err
	}
	if err != nil {
		return fmt.Errorf("oom notification: %w", err)
	}
	return nil
}

// Close unregisters the notification and wakes a pending Wait.
func (n *OOMNotifier) Close() error {
	err := n.f.Close()
	if n.ctl != nil {
		err = errors.Join(err, n.ctl.Close())
	}
	return err
}
