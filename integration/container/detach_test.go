package container

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestDetachKeys: ctrl-p ctrl-q leaves `berth run -it` and `berth attach`
// with exit 0 and the container running; an API client detaches with its
// own keys (detachKeys=ctrl-a,x).
func TestDetachKeys(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) missing")
	}
	d := newDaemon(t)
	berth := func(args ...string) (string, string, int) { return d.Run(t, "", d.Binary, args...) }
	session := func(cmdline, input string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "script", "-qec", cmdline, "/dev/null")
		cmd.Env = append(cmd.Environ(), "BERTH_HOST="+d.Host())
		pr, pw := io.Pipe()
		cmd.Stdin = pr
		go func() {
			time.Sleep(time.Second)
			_, _ = pw.Write([]byte(input))
			time.Sleep(500 * time.Millisecond)
			_, _ = pw.Write([]byte{0x10, 0x11})
			time.Sleep(2 * time.Second)
			pw.Close()
		}()
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	out, code := session(d.Binary+" run -it --name dk busybox sh", "echo first-$((1+1))\n")
	if code != 0 || !strings.Contains(out, "first-2") {
		t.Fatalf("run -it detach: %d %q", code, out)
	}
	if st, _, _ := berth("inspect", "-f", "{{.State.Running}}", "dk"); st != "true\n" {
		t.Fatalf("container stopped after detach: %q", st)
	}
	out, code = session(d.Binary+" attach dk", "echo second-$((2+2))\n")
	if code != 0 || !strings.Contains(out, "second-4") {
		t.Fatalf("attach detach: %d %q", code, out)
	}
	if st, _, _ := berth("inspect", "-f", "{{.State.Running}}", "dk"); st != "true\n" {
		t.Fatalf("container stopped after second detach: %q", st)
	}

	out, code = session(d.Binary+" exec -it dk sh", "echo third-$((3+4))\n")
	if code != 0 || !strings.Contains(out, "third-7") {
		t.Fatalf("exec -it detach: %d %q", code, out)
	}

	c := d.Client(t)
	att, err := c.ContainerAttach(context.Background(), "dk", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, DetachKeys: "ctrl-a,x"})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	_, _ = att.Conn.Write([]byte("echo api-$((3+3))\n"))
	r := bufio.NewReader(att.Reader)
	deadline := time.Now().Add(10 * time.Second)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "api-6") && time.Now().Before(deadline) {
		line, err := r.ReadString('\n')
		seen.WriteString(line)
		if err != nil {
			break
		}
	}
	_, _ = att.Conn.Write([]byte{0x01, 'x'})
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, r); done <- err }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("API detach did not end the stream")
	}
	if !strings.Contains(seen.String(), "api-6") {
		t.Fatalf("api session output: %q", seen.String())
	}
	if st, _, _ := berth("inspect", "-f", "{{.State.Running}}", "dk"); st != "true\n" {
		t.Fatalf("container stopped after API detach: %q", st)
	}
	if _, e, code := berth("attach", "nope"); code == 0 || !strings.Contains(e, "No such container") {
		t.Fatalf("attach unknown: %d %s", code, e)
	}
	berth("rm", "-f", "dk")
	if _, e, code := berth("create", "--name", "stopped", "busybox", "true"); code != 0 {
		t.Fatal(e)
	}
	if _, e, code := berth("attach", "stopped"); code == 0 || !strings.Contains(e, "start it first") {
		t.Fatalf("attach stopped: %d %s", code, e)
	}
}
