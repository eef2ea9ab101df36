package container

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// fakeAPI plays the daemon's side of the run flow over a real unix socket
// pair, so CloseWrite reaches it like it would reach berth's server.
type fakeAPI struct {
	client.APIClient
	t *testing.T

	mu         sync.Mutex
	calls      []string
	createErrs []error
	created    client.ContainerCreateOptions
	startErr   error
	exitCode   int64
	echoStdin  bool

	server   net.Conn
	waitDone chan container.WaitResponse
}

func (f *fakeAPI) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeAPI) ContainerCreate(_ context.Context, o client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	f.record("create")
	f.created = o
	if len(f.createErrs) > 0 {
		err := f.createErrs[0]
		f.createErrs = f.createErrs[1:]
		if err != nil {
			return client.ContainerCreateResult{}, err
		}
	}
	return client.ContainerCreateResult{ID: "c0ffee", Warnings: []string{"be careful"}}, nil
}

func (f *fakeAPI) ImagePull(context.Context, string, client.ImagePullOptions) (client.ImagePullResponse, error) {
	f.record("pull")
	return nil, errors.New("Error response from daemon: pull access denied for nope")
}

func (f *fakeAPI) ContainerAttach(_ context.Context, id string, o client.ContainerAttachOptions) (client.ContainerAttachResult, error) {
	f.record("attach")
	if !o.Stream || !o.Stdout || !o.Stderr || o.Stdin != f.echoStdin {
		f.t.Errorf("attach options = %+v", o)
	}
	dir := f.t.TempDir()
	l, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		f.t.Fatal(err)
	}
	defer l.Close()
	conn, err := net.Dial("unix", filepath.Join(dir, "s"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.server, err = l.Accept()
	if err != nil {
		f.t.Fatal(err)
	}
	return client.ContainerAttachResult{HijackedResponse: client.NewHijackedResponse(conn, "")}, nil
}

func (f *fakeAPI) ContainerWait(_ context.Context, id string, o client.ContainerWaitOptions) client.ContainerWaitResult {
	f.record("wait:" + string(o.Condition))
	f.waitDone = make(chan container.WaitResponse, 1)
	return client.ContainerWaitResult{Result: f.waitDone, Error: make(chan error)}
}

func (f *fakeAPI) ContainerStart(context.Context, string, client.ContainerStartOptions) (client.ContainerStartResult, error) {
	f.record("start")
	if f.server == nil { // run -d: nothing attached
		return client.ContainerStartResult{}, f.startErr
	}
	if f.startErr != nil {
		_ = f.server.Close()
		f.waitDone <- container.WaitResponse{StatusCode: 0}
		return client.ContainerStartResult{}, f.startErr
	}
	go f.serve()
	return client.ContainerStartResult{}, nil
}

// serve writes multiplexed output (echoing stdin until EOF when asked),
// then reports the exit.
func (f *fakeAPI) serve() {
	frame(f.server, 1, "hello\n")
	frame(f.server, 2, "oops\n")
	if f.echoStdin {
		in, _ := io.ReadAll(f.server)
		frame(f.server, 1, "got:"+string(in))
	}
	_ = f.server.Close()
	f.waitDone <- container.WaitResponse{StatusCode: f.exitCode}
}

func frame(w io.Writer, stream byte, s string) {
	hdr := make([]byte, 8)
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(s)))
	_, _ = w.Write(append(hdr, s...))
}

func runCmd(t *testing.T, api *fakeAPI, stdin string, argv ...string) (string, string, error) {
	t.Helper()
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	c := command.NewWithClient(api, out, errOut)
	if stdin != "" {
		c.In = pipeWith(t, stdin)
	}
	root := &cobra.Command{Use: "berth", SilenceErrors: true, SilenceUsage: true}
	root.PersistentFlags().Bool("help", false, "Print usage") // -h is --hostname, as in the real root
	root.AddCommand(Verbs.All(c)...)
	root.SetArgs(argv)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func exitStatus(err error) int {
	var se command.StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestRunForeground(t *testing.T) {
	api := &fakeAPI{t: t, exitCode: 3}
	out, errOut, err := runCmd(t, api, "", "run", "--rm", "busybox", "true")
	if got := exitStatus(err); got != 3 {
		t.Fatalf("exit = %d (%v)", got, err)
	}
	if out != "hello\n" || errOut != "WARNING: be careful\noops\n" {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
	want := "create attach wait:removed start"
	if got := strings.Join(api.calls, " "); got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if !api.created.HostConfig.AutoRemove || !api.created.Config.AttachStdout || api.created.Config.AttachStdin {
		t.Errorf("create request = %+v %+v", api.created.Config, api.created.HostConfig)
	}
}

func TestRunStdinEOF(t *testing.T) {
	api := &fakeAPI{t: t, echoStdin: true}
	out, _, err := runCmd(t, api, "some input", "run", "-i", "busybox", "cat")
	if err != nil {
		t.Fatal(err)
	}
	if out != "hello\ngot:some input" {
		t.Errorf("stdout %q", out)
	}
	if got := strings.Join(api.calls, " "); got != "create attach wait:next-exit start" {
		t.Errorf("calls = %q", got)
	}
}

func TestRunDetached(t *testing.T) {
	api := &fakeAPI{t: t}
	out, _, err := runCmd(t, api, "", "run", "-d", "--name", "x", "busybox")
	if err != nil || out != "c0ffee\n" {
		t.Fatalf("out %q err %v", out, err)
	}
	if api.created.Name != "x" || api.created.Config.AttachStdout {
		t.Errorf("create = %+v", api.created)
	}
	if got := strings.Join(api.calls, ","); !strings.HasSuffix(got, "start") {
		t.Errorf("run -d must start the container: calls = %q", got)
	}
}

func TestRunStartFailure(t *testing.T) {
	api := &fakeAPI{t: t, startErr: errors.New(`Error response from daemon: exec: "nope": executable file not found in $PATH`)}
	_, _, err := runCmd(t, api, "", "run", "busybox", "nope")
	var se command.StatusError
	if !errors.As(err, &se) || se.StatusCode != 127 {
		t.Fatalf("err = %#v", err)
	}
	want := "berth: Error response from daemon: exec: \"nope\": executable file not found in $PATH\n\nRun 'berth run --help' for more information"
	if se.Status != want {
		t.Errorf("status %q", se.Status)
	}
}

func TestRunImageMissing(t *testing.T) {
	api := &fakeAPI{t: t, createErrs: []error{errdefs.ErrNotFound.WithMessage("No such image: nope:latest")}}
	_, errOut, err := runCmd(t, api, "", "run", "nope")
	if exitStatus(err) != 125 || !strings.Contains(err.Error(), "pull access denied for nope") {
		t.Fatalf("err = %v", err)
	}
	if errOut != "Unable to find image 'nope:latest' locally\n" {
		t.Errorf("stderr %q", errOut)
	}
	if got := strings.Join(api.calls, " "); got != "create pull" {
		t.Errorf("calls = %q", got)
	}
}

func TestCreatePullNever(t *testing.T) {
	api := &fakeAPI{t: t, createErrs: []error{errdefs.ErrNotFound.WithMessage("No such image: nope:latest")}}
	_, errOut, err := runCmd(t, api, "", "create", "--pull=never", "nope")
	if exitStatus(err) != 125 || errOut != "" {
		t.Fatalf("err = %v stderr %q", err, errOut)
	}
}
