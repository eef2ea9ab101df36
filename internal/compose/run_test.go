package compose

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

const runProjectYAML = `
name: r
services:
  db:
    image: busybox
  app:
    image: busybox
    depends_on: [db]
    ports: ["8080:80"]
    environment: {A: "1", B: "2"}
    labels: {l1: v1}
    networks:
      default:
        aliases: [appalias]
  other:
    image: busybox
  tool:
    image: busybox
    profiles: [tools]
    depends_on: [db]
`

func loadRun(t *testing.T) *types.Project {
	t.Helper()
	t.Setenv("FROM_SHELL", "shell-value")
	dir := writeFiles(t, map[string]string{"compose.yaml": runProjectYAML})
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateRunDependencies(t *testing.T) {
	tests := []struct {
		name    string
		service string
		opts    RunOptions
		want    []string
	}{
		{name: "deps first", service: "app", opts: RunOptions{Name: "one"},
			want: []string{"network r_default", "create r-db-1", "start r-db-1", "create one"}},
		{name: "no deps", service: "app", opts: RunOptions{Name: "one", NoDeps: true},
			want: []string{"network r_default", "create one"}},
		{name: "profile service", service: "tool", opts: RunOptions{Name: "one"},
			want: []string{"network r_default", "create r-db-1", "start r-db-1", "create one"}},
		{name: "no deps of its own", service: "db", opts: RunOptions{Name: "one"},
			want: []string{"network r_default", "create one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if _, err := New(f, io.Discard).CreateRun(context.Background(), loadRun(t), tc.service, nil, tc.opts); err != nil {
				t.Fatal(err)
			}
			if got := f.takeCalls(); !slices.Equal(got, tc.want) {
				t.Errorf("calls %v, want %v", got, tc.want)
			}
		})
	}
	f := newFake()
	_, err := New(f, io.Discard).CreateRun(context.Background(), loadRun(t), "nosuch", nil, RunOptions{})
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestCreateRunOverrides(t *testing.T) {
	bind := t.TempDir()
	tests := []struct {
		name  string
		opts  RunOptions
		check func(t *testing.T, f *fakeAPI)
	}{
		{name: "ports not published by default", opts: RunOptions{}, check: func(t *testing.T, f *fakeAPI) {
			if pb := f.created["one"].HostConfig.PortBindings; len(pb) != 0 {
				t.Errorf("port bindings %v", pb)
			}
			if ep := f.created["one"].NetworkingConfig.EndpointsConfig["r_default"]; ep == nil || len(ep.Aliases) != 0 {
				t.Errorf("endpoint %+v, want no aliases", ep)
			}
		}},
		{name: "service ports", opts: RunOptions{ServicePorts: true}, check: func(t *testing.T, f *fakeAPI) {
			pb := f.created["one"].HostConfig.PortBindings
			if b := pb[network.MustParsePort("80/tcp")]; len(b) != 1 || b[0].HostPort != "8080" || len(pb) != 1 {
				t.Errorf("port bindings %v", pb)
			}
		}},
		{name: "publish", opts: RunOptions{Publish: []string{"127.0.0.1:9090:90"}}, check: func(t *testing.T, f *fakeAPI) {
			pb := f.created["one"].HostConfig.PortBindings
			if b := pb[network.MustParsePort("90/tcp")]; len(b) != 1 || b[0].HostPort != "9090" || b[0].HostIP.String() != "127.0.0.1" || len(pb) != 1 {
				t.Errorf("port bindings %v", pb)
			}
		}},
		{name: "env labels volumes caps aliases", opts: RunOptions{Env: []string{"B=3", "FROM_SHELL", "UNSET_ANYWHERE"}, Labels: []string{"l2=v2"},
			Volumes: []string{bind + ":/mnt:ro"}, CapAdd: []string{"NET_ADMIN"}, UseAliases: true, User: "1000", WorkingDir: "/tmp"},
			check: func(t *testing.T, f *fakeAPI) {
				co := f.created["one"]
				want := []string{"A=1", "B=3", "FROM_SHELL=shell-value"}
				if !slices.Equal(co.Config.Env, want) {
					t.Errorf("env %v, want %v", co.Config.Env, want)
				}
				if co.Config.Labels["l1"] != "v1" || co.Config.Labels["l2"] != "v2" || co.Config.Labels[LabelOneoff] != "True" {
					t.Errorf("labels %v", co.Config.Labels)
				}
				if co.Config.User != "1000" || co.Config.WorkingDir != "/tmp" {
					t.Errorf("user %q workdir %q", co.Config.User, co.Config.WorkingDir)
				}
				if !slices.ContainsFunc(co.HostConfig.Mounts, func(m mount.Mount) bool {
					return m.Type == mount.TypeBind && m.Source == bind && m.Target == "/mnt" && m.ReadOnly
				}) {
					t.Errorf("mounts %+v", co.HostConfig.Mounts)
				}
				if !slices.Contains(co.HostConfig.CapAdd, "NET_ADMIN") {
					t.Errorf("cap add %v", co.HostConfig.CapAdd)
				}
				if ep := co.NetworkingConfig.EndpointsConfig["r_default"]; ep == nil || !slices.Equal(ep.Aliases, []string{"app", "appalias"}) {
					t.Errorf("endpoint %+v", ep)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			p := loadRun(t)
			tc.opts.Name, tc.opts.NoDeps = "one", true
			if _, err := New(f, io.Discard).CreateRun(context.Background(), p, "app", nil, tc.opts); err != nil {
				t.Fatal(err)
			}
			tc.check(t, f)
			if s := p.Services["app"]; s.Environment["B"] == nil || *s.Environment["B"] != "2" || len(s.Labels) != 1 || len(s.Ports) != 1 {
				t.Errorf("run changed the project's service: %+v", s)
			}
		})
	}
	for _, bad := range []RunOptions{{Publish: []string{"x:y:z:w"}}, {Volumes: []string{""}}, {Pull: "sometimes"},
		{ServicePorts: true, Publish: []string{"9090:90"}}, {Labels: []string{"novalue"}}} {
		if _, err := New(newFake(), io.Discard).CreateRun(context.Background(), loadRun(t), "app", nil, bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: err %v", bad, err)
		}
	}
}

// TestLoadNoDeps: up --no-deps SERVICE keeps the service without what it
// depends on (disabled, so not an orphan) and without the depends_on.
func TestLoadNoDeps(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": runProjectYAML})
	for _, noDeps := range []bool{false, true} {
		p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}, Services: []string{"app"}, NoDeps: noDeps})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"app", "db"}
		if noDeps {
			want = []string{"app"}
		}
		if got := p.ServiceNames(); !slices.Equal(got, want) {
			t.Errorf("no-deps=%v: services %v, want %v", noDeps, got, want)
		}
		if _, ok := p.DisabledServices["db"]; ok != noDeps {
			t.Errorf("no-deps=%v: db disabled = %v", noDeps, ok)
		}
		if deps := len(p.Services["app"].DependsOn); (deps == 0) != noDeps {
			t.Errorf("no-deps=%v: app depends_on %v", noDeps, p.Services["app"].DependsOn)
		}
	}
}
