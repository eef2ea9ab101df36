package container

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil"
	"github.com/moby/moby/api/pkg/stdcopy"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func writeBusyboxTar(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "busybox.tar")
	if err := os.WriteFile(p, testutil.BusyboxTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAPIAttachBeforeStart is docker run's sequence through the Go client:
// create, attach, wait(next-exit), start; every byte of output arrives.
func TestAPIAttachBeforeStart(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	ctx := context.Background()
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &ctr.Config{Image: "busybox", Cmd: []string{"sh", "-c", "seq 1 20000; echo err >&2; exit 5"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	att, err := c.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	wait := c.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: ctr.WaitConditionNextExit})
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 5 {
			t.Fatalf("exit %d", res.StatusCode)
		}
	case err := <-wait.Error:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("wait timed out")
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 20000 || lines[19999] != "20000" || stderr.String() != "err\n" {
		t.Fatalf("got %d lines, stderr %q", len(lines), stderr.String())
	}
	// The same output is in the log, with stdout/stderr kept apart (their
	// relative order is not defined, as in Docker).
	logs, err := c.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "all"})
	if err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	_, _ = stdcopy.StdCopy(&stdout, &stderr, logs)
	logs.Close()
	if got := strings.Count(stdout.String(), "\n"); got != 20000 || !strings.HasSuffix(stdout.String(), "\n20000\n") || stderr.String() != "err\n" {
		t.Fatalf("logs: %d stdout lines, stderr %q", got, stderr.String())
	}
	if _, err := c.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestAPIErrors checks Docker-shaped errors and status codes.
func TestAPIErrors(t *testing.T) {
	d := newDaemon(t)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.Socket)
	}}}
	cases := []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"GET", "/_ping", "", 200, "OK"},
		{"HEAD", "/_ping", "", 200, ""},
		{"GET", "/v1.24/version", "", 200, `"ApiVersion"`},
		{"GET", "/v1.12/version", "", 400, "too old"},
		{"GET", "/v9.99/version", "", 400, "too new"},
		{"GET", "/containers/nope/json", "", 404, `{"message":"No such container: nope"}`},
		{"GET", "/images/nope/json", "", 404, "No such image: nope"},
		{"POST", "/containers/create", `{"Image":`, 400, "invalid JSON"},
		{"POST", "/containers/create", `{"Image":"busybox"}`, 400, "no command specified"},
		{"POST", "/containers/create?name=x/y", `{"Image":"busybox","Cmd":["true"]}`, 400, "Invalid container name"},
		{"POST", "/containers/create", `{"Image":"nope","Cmd":["true"]}`, 404, "No such image: nope"},
		{"GET", "/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D", "", 400, "invalid filter"},
		{"GET", "/no/such/endpoint", "", 404, "page not found"},
		{"POST", "/containers/nope/kill?signal=NOPE", "", 400, "Invalid signal"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, "http://berth"+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.msg) {
			t.Errorf("%s %s: %d %s (want %d %q)", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.msg)
		}
	}
}

// TestImportRejectsEscapes: a tarball that writes outside its root fails
// and leaves no image behind.
func TestImportRejectsEscapes(t *testing.T) {
	d := newDaemon(t)
	c := d.Client(t)
	ctx := context.Background()
	before, err := c.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Names climbing out with ".." are refused; an absolute symlink in a
	// parent path is resolved inside the root (as Docker does), so that
	// import succeeds but writes /etc/escape of the image, not the host's.
	for name, entries := range map[string][]tar.Header{
		"dotdot":   {{Name: "../../escape", Typeflag: tar.TypeReg, Mode: 0o644}},
		"symlink":  {{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, {Name: "link/escape", Typeflag: tar.TypeReg, Mode: 0o644}},
		"hardlink": {{Name: "hl", Typeflag: tar.TypeLink, Linkname: "../../../etc/shadow"}},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			_ = tw.WriteHeader(&h)
		}
		tw.Close()
		res, err := c.ImageImport(ctx, client.ImageImportSource{Source: &buf, SourceName: "-"}, "evil:"+name, client.ImageImportOptions{})
		if err == nil {
			out, _ := io.ReadAll(res)
			res.Close()
			if name != "symlink" && !strings.Contains(string(out), "error") {
				t.Errorf("%s: import succeeded: %s", name, out)
			}
		}
		if _, err := os.Stat("/etc/escape"); err == nil {
			t.Fatalf("%s: wrote /etc/escape", name)
		}
	}
	after, _ := c.ImageList(ctx, client.ImageListOptions{})
	if len(after.Items) != len(before.Items)+1 {
		t.Fatalf("images before %d after %d", len(before.Items), len(after.Items))
	}
}
