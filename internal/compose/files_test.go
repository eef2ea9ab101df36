package compose

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

const filesProject = `
name: f
services:
  app:
    image: busybox
    secrets:
      - db
      - source: key
        target: api.key
        uid: "1000"
        gid: "1001"
        mode: 0400
      - plain
      - source: owned
        mode: 0440
    configs:
      - inline
      - source: fromenv
        target: /etc/app/env.conf
secrets:
  db: {environment: DB_PASSWORD}
  key: {environment: API_KEY}
  plain: {file: ./plain.txt}
  owned: {file: ./plain.txt}
configs:
  inline: {content: "port=${PORT:-80}\n"}
  fromenv: {environment: ENV_CONF}
`

func loadFiles(t *testing.T, yaml string, env ...string) *types.Project {
	t.Helper()
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	dir := writeFiles(t, map[string]string{"compose.yaml": yaml, "plain.txt": "from-file"})
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tarEntry is what a test checks of one injected file.
type tarEntry struct {
	name, body string
	uid, gid   int
	mode       int64
}

func readTar(t *testing.T, r io.Reader) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, tarEntry{h.Name, string(b), h.Uid, h.Gid, h.Mode})
	}
}

func TestFilesTarAndMounts(t *testing.T) {
	p := loadFiles(t, filesProject, "DB_PASSWORD", "pw-1", "API_KEY", "key-2", "ENV_CONF", "conf-3")
	s := p.Services["app"]
	mounts, err := fileMounts(p, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 1 || mounts[0].Target != "/run/secrets/plain" || !mounts[0].ReadOnly || filepath.Base(mounts[0].Source) != "plain.txt" {
		t.Errorf("mounts = %+v, want only plain bind-mounted", mounts)
	}
	buf, err := filesTar(p, s)
	if err != nil {
		t.Fatal(err)
	}
	got := readTar(t, buf)
	want := []tarEntry{
		{"run/secrets/db", "pw-1", 0, 0, 0o444},
		{"run/secrets/api.key", "key-2", 1000, 1001, 0o400},
		{"run/secrets/owned", "from-file", 0, 0, 0o440},
		{"inline", "port=80\n", 0, 0, 0o444},
		{"etc/app/env.conf", "conf-3", 0, 0, 0o444},
	}
	if !slices.Equal(got, want) {
		t.Errorf("tar:\n got %+v\nwant %+v", got, want)
	}
}

func TestFilesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       error
	}{
		{"unset variable", "services: {a: {image: busybox, secrets: [s]}}\nsecrets: {s: {environment: BERTH_TEST_UNSET}}\n", errdefs.ErrInvalidArgument},
		{"external", "services: {a: {image: busybox, secrets: [s]}}\nsecrets: {s: {external: true}}\n", errdefs.ErrNotImplemented},
		{"bad uid", "services: {a: {image: busybox, configs: [{source: c, uid: root}]}}\nconfigs: {c: {content: x}}\n", errdefs.ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadFiles(t, "name: e\n"+tc.yaml)
			_, err := fileMounts(p, p.Services["a"])
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			// validate (up's first step) refuses the project before creating anything.
			if err := validate(p); !errors.Is(err, tc.want) {
				t.Errorf("validate: %v", err)
			}
		})
	}
}

// copyFake records the archives copied into containers.
type copyFake struct {
	*fakeAPI
	copies map[string][]tarEntry
	t      *testing.T
}

func (f *copyFake) CopyToContainer(_ context.Context, id string, o client.CopyToContainerOptions) (client.CopyToContainerResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("copy %s %s", f.ctrs[id].Names[0][1:], o.DestinationPath)
	f.copies[id] = readTar(f.t, o.Content)
	return client.CopyToContainerResult{}, nil
}

func TestUpInjectsFilesBeforeStart(t *testing.T) {
	p := loadFiles(t, filesProject, "DB_PASSWORD", "pw-secret-value", "API_KEY", "k", "ENV_CONF", "c")
	f := &copyFake{fakeAPI: newFake(), copies: map[string][]tarEntry{}, t: t}
	c := New(f, io.Discard)
	if err := c.Up(context.Background(), p, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := strings.Join(f.takeCalls(), "\n")
	if !strings.Contains(calls, "create f-app-1\ncopy f-app-1 /\nstart f-app-1") {
		t.Errorf("calls:\n%s", calls)
	}
	for _, ctr := range f.ctrs {
		for k, v := range ctr.Labels {
			if strings.Contains(v, "pw-secret-value") {
				t.Errorf("label %s carries the secret", k)
			}
		}
		if got := f.copies[ctr.ID]; len(got) != 5 || got[0].body != "pw-secret-value" {
			t.Errorf("copied %+v", got)
		}
	}
	id, err := c.CreateRun(context.Background(), p, "app", []string{"true"}, RunOptions{Name: "one-off"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.copies[id]; len(got) != 5 {
		t.Errorf("run: copied %+v", got)
	}
}
