package image

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/berth-engine/berth/internal/buildcontext"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestTarContextDockerignore(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"Dockerfile": "FROM x", ".dockerignore": "*.log\nbuild\n!build/keep\n", "a.txt": "a", "x.log": "x",
		"build/out": "o", "build/keep": "k", "sub/y.log": "y",
	} {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	excludes, err := buildcontext.ReadDockerignore(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := buildcontext.Tar(dir, "Dockerfile", excludes, &buf); err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
	slices.Sort(names)
	want := []string{".dockerignore", "Dockerfile", "a.txt", "build/keep", "sub/", "sub/y.log"} // as the docker CLI: an excluded dir is walked for exceptions, not sent
	if !slices.Equal(names, want) {
		t.Errorf("context = %q, want %q", names, want)
	}
}

func TestDockerfileInContext(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		file, want string
		bad        bool
	}{
		{file: "", want: "Dockerfile"},
		{file: filepath.Join(dir, "sub", "x.Dockerfile"), want: "sub/x.Dockerfile"},
		{file: filepath.Join(dir, "..", "outside"), bad: true},
	}
	for _, tc := range tests {
		got, err := dockerfileInContext(dir, tc.file)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("dockerfileInContext(%q) = %q, %v", tc.file, got, err)
		}
	}
}

func TestSecretsHeader(t *testing.T) {
	f := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(f, []byte("file-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BUILD_SECRET_TEST", "env-secret")
	h, err := secretsHeader([]string{"id=a,src=" + f, "id=b,env=BUILD_SECRET_TEST"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(h)
	var got map[string][]byte
	if err := json.Unmarshal(raw, &got); err != nil || string(got["a"]) != "file-secret" || string(got["b"]) != "env-secret" {
		t.Errorf("secrets = %q, %v", got, err)
	}
	for _, bad := range []string{"src=" + f, "id=c,env=NOT_SET_ANYWHERE_42", "id=d,src=/nonexistent", "id=e,bogus=1"} {
		if _, err := secretsHeader([]string{bad}); err == nil {
			t.Errorf("secretsHeader(%q) succeeded", bad)
		}
	}
}
