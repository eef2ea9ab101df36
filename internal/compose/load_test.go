package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

// writeFiles writes name → content into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	t.Setenv("COMPOSE_PROJECT_NAME", "")
	os.Unsetenv("COMPOSE_PROJECT_NAME")
	dir := writeFiles(t, map[string]string{
		"compose.yaml":  "services:\n  web:\n    image: busybox\n    environment:\n      V: ${V}\n  dbg:\n    image: busybox\n    profiles: [debug]\n",
		"override.yaml": "services:\n  web:\n    command: [\"sleep\", \"1\"]\n",
		".env":          "V=from-dotenv\n",
		"other.env":     "V=from-other\n",
		"cycle.yaml":    "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
		"badkey.yaml":   "services:\n  a:\n    image: x\n    comand: y\n",
	})
	f := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	ctx := context.Background()
	tests := []struct {
		name     string
		opts     LoadOptions
		services []string
		env      string
		cmd      string
		err      error
		errHas   []string
	}{
		{name: "defaults", opts: LoadOptions{Files: f("compose.yaml")}, services: []string{"web"}, env: "from-dotenv"},
		{name: "merged", opts: LoadOptions{Files: f("compose.yaml", "override.yaml")}, services: []string{"web"}, cmd: "sleep 1"},
		{name: "env-file", opts: LoadOptions{Files: f("compose.yaml"), EnvFiles: f("other.env")}, services: []string{"web"}, env: "from-other"},
		{name: "profile", opts: LoadOptions{Files: f("compose.yaml"), Profiles: []string{"debug"}}, services: []string{"dbg", "web"}},
		{name: "cycle", opts: LoadOptions{Files: f("cycle.yaml")}, err: errdefs.ErrInvalidArgument, errHas: []string{"cycle"}},
		{name: "bad-key", opts: LoadOptions{Files: f("badkey.yaml")}, err: errdefs.ErrInvalidArgument, errHas: []string{"badkey.yaml", "comand"}},
		{name: "unknown-service", opts: LoadOptions{Files: f("compose.yaml"), Services: []string{"nosuch"}}, err: errdefs.ErrNotFound, errHas: []string{"nosuch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.ProjectName = "proj"
			p, err := Load(ctx, tc.opts)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			names := p.ServiceNames()
			if strings.Join(slices.Sorted(slices.Values(names)), ",") != strings.Join(tc.services, ",") {
				t.Errorf("services %v, want %v", names, tc.services)
			}
			web := p.Services["web"]
			if tc.env != "" && (web.Environment["V"] == nil || *web.Environment["V"] != tc.env) {
				t.Errorf("V = %v, want %s", web.Environment["V"], tc.env)
			}
			if tc.cmd != "" && strings.Join(web.Command, " ") != tc.cmd {
				t.Errorf("command %v", web.Command)
			}
			if p.Networks["default"].Name != "proj_default" {
				t.Errorf("default network %+v", p.Networks["default"])
			}
		})
	}
}

func TestLoadFromEnvironment(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"base.yaml": "services:\n  base:\n    image: busybox\n    environment: {FROM_BASE: \"1\"}\n",
		"app.yaml":  "services:\n  app:\n    extends: {file: base.yaml, service: base}\n    command: [\"true\"]\n",
	})
	t.Chdir(dir)
	t.Setenv("COMPOSE_FILE", "app.yaml")
	t.Setenv("COMPOSE_PROJECT_NAME", "fromenv")
	p, err := Load(context.Background(), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "fromenv" {
		t.Errorf("name %q", p.Name)
	}
	app, ok := p.Services["app"]
	if !ok || app.Image != "busybox" || app.Environment["FROM_BASE"] == nil {
		t.Errorf("extends not applied: %+v", app)
	}
	if len(p.ComposeFiles) != 1 || filepath.Base(p.ComposeFiles[0]) != "app.yaml" {
		t.Errorf("files %v", p.ComposeFiles)
	}
	if ProjectName("") != "fromenv" || ProjectName("flag") != "flag" {
		t.Errorf("ProjectName: %q", ProjectName(""))
	}
}
