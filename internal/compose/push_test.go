package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

const pushProject = `
name: p
services:
  app:
    build: .
    image: reg.test/app:1
    depends_on: [dep]
  dep:
    build: {context: ., tags: ["reg.test/dep:extra"]}
    image: reg.test/dep:1
  builtonly:
    build: .
  pulled:
    image: reg.test/pulled:1
`

// pushFake answers ImagePush with a progress stream, or an error message
// for references in fail.
type pushFake struct {
	client.APIClient
	mu     sync.Mutex
	pushed []string
	auths  []string
	fail   map[string]bool
}

func (f *pushFake) ImagePush(_ context.Context, ref string, o client.ImagePushOptions) (client.ImagePushResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushed = append(f.pushed, ref)
	f.auths = append(f.auths, o.RegistryAuth)
	body := `{"status":"Pushing","id":"abc","progressDetail":{"current":10,"total":20}}` + "\n" +
		`{"status":"Pushed","id":"abc"}` + "\n"
	if f.fail[ref] {
		body += `{"errorDetail":{"message":"connection refused"},"error":"connection refused"}` + "\n"
	}
	return pushResponse{strings.NewReader(body)}, nil
}

func (f *pushFake) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	var res client.ImageInspectResult
	repo, _, _ := strings.Cut(ref, ":")
	res.ID = "sha256:" + repo
	return res, nil
}

type pushResponse struct{ r io.Reader }

func (p pushResponse) Read(b []byte) (int, error) { return p.r.Read(b) }
func (pushResponse) Close() error                 { return nil }
func (pushResponse) Wait(context.Context) error   { return nil }
func (pushResponse) JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error] {
	return nil
}

func TestPush(t *testing.T) {
	p := loadFiles(t, pushProject)
	for _, tc := range []struct {
		name    string
		o       PushOptions
		fail    string
		want    []string
		wantErr bool
	}{
		{name: "all", want: []string{"reg.test/app:1", "reg.test/dep:1", "reg.test/dep:extra"}},
		{name: "one service", o: PushOptions{Services: []string{"dep"}}, want: []string{"reg.test/dep:1", "reg.test/dep:extra"}},
		{name: "failure", fail: "reg.test/dep:extra", want: []string{"reg.test/app:1", "reg.test/dep:1", "reg.test/dep:extra"}, wantErr: true},
		{name: "ignored failure", o: PushOptions{IgnoreFailures: true}, fail: "reg.test/app:1", want: []string{"reg.test/app:1", "reg.test/dep:1", "reg.test/dep:extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &pushFake{fail: map[string]bool{tc.fail: true}}
			var out strings.Builder
			auth := func(ref string) (string, error) { return "auth-for-" + ref, nil }
			err := New(f, &out, WithRegistryAuth(auth)).Push(context.Background(), p, tc.o)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.fail) {
				t.Errorf("error lacks the reference: %v", err)
			}
			slices.Sort(f.pushed)
			if !slices.Equal(f.pushed, tc.want) {
				t.Errorf("pushed %v, want %v", f.pushed, tc.want)
			}
			for i, a := range f.auths {
				if !strings.HasPrefix(a, "auth-for-reg.test/") {
					t.Errorf("auth %d = %q", i, a)
				}
			}
			if !strings.Contains(out.String(), "reg.test/dep:1 abc  Pushed") {
				t.Errorf("progress:\n%s", out.String())
			}
		})
	}
}

func TestPushAuthError(t *testing.T) {
	p := loadFiles(t, pushProject)
	f := &pushFake{}
	auth := func(string) (string, error) { return "", fmt.Errorf("config: %w", errdefs.ErrInvalidArgument) }
	err := New(f, io.Discard, WithRegistryAuth(auth)).Push(context.Background(), p, PushOptions{Services: []string{"app"}})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || len(f.pushed) != 0 {
		t.Errorf("err = %v, pushed %v", err, f.pushed)
	}
}
