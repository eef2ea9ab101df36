package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// AwaitOptionsFlag starts a shim that reads its flags from OptionsFd
// instead of its command line (Launch).
const AwaitOptionsFlag = "--await-options"

// OptionsFd is where a launched shim receives its options: one message on a
// SOCK_SEQPACKET socket holding the flags (ShimArgs) as a JSON array and,
// when the runtime runs from a sealed copy, that copy's descriptor.
const OptionsFd = 4

// maxOptions bounds the options message.
const maxOptions = 1 << 16

// Pending is a shim that has been started but not yet told which
// container to run: its process start-up (exec, Go runtime, about 3 ms)
// overlaps with the daemon's own preparation of the container.
type Pending struct {
	launched chan struct{} // closed once ready, opts and err are set
	ready    *os.File      // read end of the shim's ready line (fd 3)
	opts     *os.File      // our end of the options socket
	err      error
	once     sync.Once
}

// Launch starts a shim from shimBinary that waits for its options. The
// fork and exec run on another goroutine: they hold the calling thread of
// a big daemon for a millisecond or two, which overlaps with the caller's
// work as well; Run and Abort wait for them.
func Launch(shimBinary string) *Pending {
	p := &Pending{launched: make(chan struct{})}
	go func() {
		defer close(p.launched)
		p.ready, p.opts, p.err = launch(shimBinary)
	}()
	return p
}

func launch(shimBinary string) (ready, opts *os.File, err error) {
	if shimBinary == "" {
		return nil, nil, fmt.Errorf("no shim binary: %w", errdefs.ErrInvalidArgument)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		r.Close()
		w.Close()
		return nil, nil, err
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "shim-options"), os.NewFile(uintptr(fds[1]), "shim-options")
	cmd := exec.Command(shimBinary, "shim", AwaitOptionsFlag)
	// One P: the shim waits on its container, pipes and socket and never
	// computes; with more, Go's scheduler spins threads up for every
	// wake-up. 6.3 -> 5.1 ms of CPU per shim over a parallel start of 50,
	// with the same start latency. Nothing else sees this variable: the
	// runtime is C, and containers get the spec's environment.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{w, theirs} // fd 3: ready line, fd 4: options
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	theirs.Close()
	if err != nil {
		r.Close()
		ours.Close()
		return nil, nil, fmt.Errorf("start shim: %w", err)
	}
	go cmd.Wait() //nolint:errcheck // reap the shim if it exits while we live
	return r, ours, nil
}

// Abort makes a pending shim exit without running anything.
// It is idempotent, and a no-op for the shim once Run has been called.
func (p *Pending) Abort() {
	p.once.Do(func() {
		<-p.launched
		if p.err == nil {
			p.opts.Close()
			p.ready.Close()
		}
	})
}

// Run hands the shim opts and returns once the container's process runs,
// with its pid; see Start.
func (p *Pending) Run(ctx context.Context, opts StartOptions) (*Shim, int, error) {
	defer p.Abort()
	if err := opts.validate(); err != nil {
		return nil, 0, err
	}
	if <-p.launched; p.err != nil {
		return nil, 0, p.err
	}
	if err := sendOptions(p.opts, opts); err != nil {
		return nil, 0, fmt.Errorf("start shim: %w", err)
	}
	resp, err := readReady(ctx, p.ready)
	if err != nil {
		return nil, 0, err
	}
	if resp.Error != "" {
		return nil, 0, fmt.Errorf("container %s: %w", opts.ID, newStartError(resp.Error))
	}
	return &Shim{socket: opts.SocketPath, pid: resp.Pid, bundle: opts.Bundle}, resp.Pid, nil
}

func sendOptions(sock *os.File, opts StartOptions) error {
	opts.RuntimeFd = 0
	var rights []byte
	if opts.RuntimeFile != nil {
		opts.RuntimeFd = 1 // any positive value: the shim learns the real one on receipt
		rights = unix.UnixRights(int(opts.RuntimeFile.Fd()))
	}
	data, err := json.Marshal(ShimArgs(opts))
	if err != nil {
		return err
	}
	return unix.Sendmsg(int(sock.Fd()), data, rights, nil, 0)
}

// ReceiveOptions reads a launched shim's options from fd (OptionsFd) and
// closes it. RuntimeFd is set to the descriptor the sealed runtime copy arrived
// at, if any. It fails when the daemon gave up on this shim (Abort).
func ReceiveOptions(fd int) (StartOptions, error) {
	defer unix.Close(fd)
	buf := make([]byte, maxOptions)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return StartOptions{}, fmt.Errorf("receive options: %w", err)
	}
	if n == 0 {
		return StartOptions{}, errors.New("receive options: the daemon went away")
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return StartOptions{}, fmt.Errorf("receive options: %w", err)
		}
		for _, m := range msgs {
			got, err := unix.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, got...)
			}
		}
	}
	var args []string
	if err := json.Unmarshal(buf[:n], &args); err != nil {
		closeAll(fds)
		return StartOptions{}, fmt.Errorf("receive options: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	opts, err := ParseShimArgs(args)
	if err != nil {
		closeAll(fds)
		return opts, err
	}
	opts.RuntimeFd = 0
	if len(fds) > 0 {
		opts.RuntimeFd = fds[0]
		closeAll(fds[1:])
	}
	return opts, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
