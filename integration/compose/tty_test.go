package compose

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	"github.com/containerd/console"
	"github.com/moby/moby/client"
)

// ptySession is `berth compose …` running on the slave side of a fresh
// pseudo-terminal, as in an interactive shell; the test types on and reads
// from the master side.
type ptySession struct {
	t      *testing.T
	master console.Console
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{} // closed when the command has exited
	err    error         // its Wait result
}

// startPty runs argv (a client of d) in dir on a new terminal of rows×cols.
func startPty(t *testing.T, d *daemon.Daemon, dir string, rows, cols uint16, argv ...string) *ptySession {
	t.Helper()
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	if err := master.Resize(console.WinSize{Height: rows, Width: cols}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	s := &ptySession{t: t, master: master, done: make(chan struct{})}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Dir = dir
	s.cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host(), "BERTH_HOST="+d.Host(), "TERM=xterm")
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = slave, slave, slave
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	go s.read()
	return s
}

// read collects the terminal's output until the slave side is closed.
func (s *ptySession) read() {
	buf := make([]byte, 4096)
	for {
		n, err := s.master.Read(buf)
		s.mu.Lock()
		s.out.Write(buf[:n])
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *ptySession) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// send types text on the terminal.
func (s *ptySession) send(text string) {
	s.t.Helper()
	if _, err := s.master.Write([]byte(text)); err != nil {
		s.t.Fatal(err)
	}
}

// expect waits until the output (after skip bytes) contains want and
// returns the length of the output at that point.
func (s *ptySession) expect(want string, skip int) int {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if out := s.output(); len(out) >= skip {
			if i := strings.Index(out[skip:], want); i >= 0 {
				return skip + i + len(want)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("terminal output lacks %q:\n%q", want, s.output())
	return 0
}

// wait waits for the command and returns its exit code.
func (s *ptySession) wait() int {
	s.t.Helper()
	select {
	case <-s.done:
		var ee *exec.ExitError
		if errors.As(s.err, &ee) {
			return ee.ExitCode()
		}
		if s.err != nil {
			s.t.Fatal(s.err)
		}
		return 0
	case <-time.After(30 * time.Second):
		s.t.Fatalf("command did not exit; output:\n%q", s.output())
		return -1
	}
}

// TestComposeRunTTY drives `berth compose run shell sh` from a terminal: a
// TTY is allocated with the terminal's size, follows its resizes, runs what
// is typed, and the shell's exit code is the command's; --rm removes the
// container.
func TestComposeRunTTY(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "tty")
	s := startPty(t, d, dir, 33, 101, berthCompose(d, "-p", "tty", "run", "--rm", "shell", "sh")...)
	s.expect("prompt> ", 0)
	s.send("stty size; echo out-$((6*7)); tty\r")
	n := s.expect("33 101", 0)
	n = s.expect("out-42", n)
	n = s.expect("/dev/pts/", n)
	if err := s.master.Resize(console.WinSize{Height: 50, Width: 120}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.output()[n:], "50 120") && time.Now().Before(deadline) {
		s.send("stty size\r")
		time.Sleep(200 * time.Millisecond)
	}
	s.expect("50 120", n)
	s.send("exit 3\r")
	if code := s.wait(); code != 3 {
		t.Errorf("exit code %d, want 3; output:\n%q", code, s.output())
	}
	if left := projectContainers(t, d.Client(t), "tty"); len(left) != 0 {
		t.Errorf("run --rm left %d containers", len(left))
	}
}

// TestComposeRunTTYOptions covers -T (no TTY even on a terminal), the
// detach keys (the container keeps running), run -d and exec with a TTY;
// down removes the one-off containers too.
func TestComposeRunTTYOptions(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "tty")
	c := d.Client(t)

	s := startPty(t, d, dir, 24, 80, berthCompose(d, "-p", "tty", "run", "--rm", "-T", "shell", "sh", "-c", "tty; exit 4")...)
	if code := s.wait(); code != 4 {
		t.Errorf("-T: exit code %d, want 4", code)
	}
	if out := s.output(); !strings.Contains(out, "not a tty") {
		t.Errorf("-T: a TTY was allocated: %q", out)
	}

	s = startPty(t, d, dir, 24, 80, berthCompose(d, "-p", "tty", "run", "--name", "tty-detached", "shell", "sh")...)
	s.expect("prompt> ", 0)
	s.send("\x10\x11") // ctrl-p ctrl-q
	if code := s.wait(); code != 0 {
		t.Errorf("detach: exit code %d; output:\n%q", code, s.output())
	}
	ctrs := byName(projectContainers(t, c, "tty"))
	if ctrs["tty-detached"].State != "running" {
		t.Errorf("detached container: %+v", ctrs["tty-detached"])
	}
	if _, err := c.ContainerRemove(t.Context(), "tty-detached", client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Error(err)
	}

	// run -d prints the one-off container's ID and leaves it running.
	id := strings.TrimSpace(compose(t, d, dir, nil, "-p", "tty", "run", "-d", "shell"))
	res, err := c.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	if err != nil || !res.Container.State.Running || res.Container.Config.Labels["com.docker.compose.oneoff"] != "True" {
		t.Errorf("run -d: %q: %v", id, err)
	}

	compose(t, d, dir, nil, "-p", "tty", "up", "-d")
	s = startPty(t, d, dir, 24, 80, berthCompose(d, "-p", "tty", "exec", "shell", "sh")...)
	s.expect("prompt> ", 0)
	s.send("tty; exit 5\r")
	if code := s.wait(); code != 5 {
		t.Errorf("exec: exit code %d, want 5", code)
	}
	if out := s.output(); !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec: no TTY: %q", out)
	}
	compose(t, d, dir, nil, "-p", "tty", "down")
	assertGone(t, c, "tty")
}

// berthCompose is the argv of `berth compose args`.
func berthCompose(d *daemon.Daemon, args ...string) []string {
	return append([]string{d.Binary, "compose"}, args...)
}

// TestDockerComposeV1RunTTY drives docker-compose v1's `run` and `exec`
// (dockerpty: raw terminal, attach, resize) from a terminal against Berth.
func TestDockerComposeV1RunTTY(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	dir := caseDir(t, "tty")
	s := startPty(t, d, dir, 24, 80, dockerCompose, "-p", "v1tty", "run", "--rm", "shell", "sh")
	s.expect("prompt> ", 0)
	s.send("stty size; echo out-$((6*7))\r")
	n := s.expect("24 80", 0)
	s.expect("out-42", n)
	s.send("exit 6\r")
	if code := s.wait(); code != 6 {
		t.Errorf("run: exit code %d, want 6; output:\n%q", code, s.output())
	}
	dc(t, d, dir, nil, "-p", "v1tty", "up", "-d")
	s = startPty(t, d, dir, 24, 80, dockerCompose, "-p", "v1tty", "exec", "shell", "sh")
	s.expect("prompt> ", 0)
	s.send("tty; exit 7\r")
	if code := s.wait(); code != 7 {
		t.Errorf("exec: exit code %d, want 7; output:\n%q", code, s.output())
	}
	dc(t, d, dir, nil, "-p", "v1tty", "down")
	assertGone(t, d.Client(t), "v1tty")
}
