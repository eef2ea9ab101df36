package compose

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

const upProject = `
name: p
services:
  db:
    image: busybox
    volumes: [data:/data]
  web:
    image: busybox
    depends_on: [db]
    environment: {V: "${V:-1}"}
volumes: {data: {}}
`

func loadUp(t *testing.T, env ...string) *types.Project {
	t.Helper()
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	dir := writeFiles(t, map[string]string{"compose.yaml": upProject})
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpConverges(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	c := New(f, io.Discard)
	if err := c.Up(ctx, loadUp(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"network p_default", "volume p_data", "create p-db-1", "start p-db-1", "create p-web-1", "start p-web-1"}
	if got := f.takeCalls(); !slices.Equal(got, want) {
		t.Errorf("first up: %v, want %v", got, want)
	}
	steps := []struct {
		name string
		env  []string
		opts UpOptions
		want []string
	}{
		{name: "idempotent", want: nil},
		{name: "changed web only", env: []string{"V", "2"}, want: []string{"remove p-web-1", "create p-web-1", "start p-web-1"}},
		{name: "scale up", env: []string{"V", "2"}, opts: UpOptions{Scale: map[string]int{"web": 3}}, want: []string{"create p-web-2", "start p-web-2", "create p-web-3", "start p-web-3"}},
		{name: "scale down", env: []string{"V", "2"}, opts: UpOptions{Scale: map[string]int{"web": 1}}, want: []string{"remove p-web-2", "remove p-web-3"}},
		{name: "force", env: []string{"V", "2"}, opts: UpOptions{ForceRecreate: true}, want: []string{"remove p-db-1", "create p-db-1", "start p-db-1", "remove p-web-1", "create p-web-1", "start p-web-1"}},
	}
	for _, st := range steps {
		p := loadUp(t, st.env...)
		if err := c.Up(ctx, p, st.opts); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := f.takeCalls()
		slices.Sort(got)
		slices.Sort(st.want)
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: %v, want %v", st.name, got, st.want)
		}
	}
	if err := c.Down(ctx, "p", nil, DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if len(f.ctrs) != 0 || len(f.nets) != 0 || len(f.vols) != 0 {
		t.Errorf("after down -v: %v %v %v", f.ctrs, f.nets, f.vols)
	}
}

func TestUpRejectsBeforeCreating(t *testing.T) {
	ctx := context.Background()
	for name, mutate := range map[string]func(p *types.Project){
		"port twice": func(p *types.Project) {
			for _, n := range []string{"db", "web"} {
				s := p.Services[n]
				s.Ports = []types.ServicePortConfig{{Target: 80, Published: "8080", Protocol: "tcp"}}
				p.Services[n] = s
			}
		},
		"bad restart": func(p *types.Project) {
			s := p.Services["web"]
			s.Restart = "sometimes"
			p.Services["web"] = s
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			p := loadUp(t)
			mutate(p)
			if err := New(f, io.Discard).Up(ctx, p, UpOptions{}); err == nil {
				t.Fatal("up succeeded")
			}
			if calls := f.takeCalls(); len(calls) != 0 {
				t.Errorf("created %v", calls)
			}
		})
	}
	f := newFake()
	if err := New(f, io.Discard).Up(ctx, loadUp(t), UpOptions{Scale: map[string]int{"nosuch": 2}}); err == nil {
		t.Error("scale of unknown service accepted")
	}
}

func TestUpRollsBackOnFailure(t *testing.T) {
	ctx := context.Background()
	for _, keep := range []bool{false, true} {
		f := newFake()
		f.failStart = "p-web-1"
		err := New(f, io.Discard).Up(ctx, loadUp(t), UpOptions{NoRollback: keep})
		if err == nil {
			t.Fatal("up succeeded")
		}
		left := len(f.ctrs) + len(f.nets) + len(f.vols)
		if keep && left != 4 || !keep && left != 0 {
			t.Errorf("no-rollback=%v: %d resources left: %v %v %v", keep, left, f.ctrs, f.nets, f.vols)
		}
	}
}
