package container

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/spf13/pflag"
)

func parseFlags(t *testing.T, argv ...string) (*createOptions, []string) {
	t.Helper()
	var o createOptions
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addCreateFlags(fs, &o)
	if err := fs.Parse(argv); err != nil {
		t.Fatal(err)
	}
	o.entrypointSet = fs.Changed("entrypoint")
	return &o, fs.Args()
}

func fakeEnv(k string) (string, bool) {
	v, ok := map[string]string{"HOME": "/root", "EMPTY": ""}[k]
	return v, ok
}

func TestParseCreateRequest(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("\xEF\xBB\xBF# comment\n\nA=1\n  B=two words\nHOME\nMISSING\nC=\"quoted\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, args := parseFlags(t, "--env-file", envFile, "-e", "X=1", "-e", "HOME", "-e", "NOPE", "-e", "EMPTY",
		"-l", "a=b", "--label", "flag", "-u", "1000:1000", "-w", "/tmp", "-h", "box", "--name", "n1",
		"--rm", "-it", "--init", "--privileged", "--read-only", "-m", "64m", "--cap-add", "net_admin",
		"--network", "mynet", "busybox", "sh", "-c", "echo hi", "-e", "notaflag")
	req, err := o.parse(args, attachStreams{stdin: true, stdout: true, stderr: true}, fakeEnv)
	if err != nil {
		t.Fatal(err)
	}
	cfg, hc := req.config, req.hostConfig
	wantEnv := []string{"A=1", "B=two words", "HOME=/root", `C="quoted"`, "X=1", "HOME=/root", "NOPE", "EMPTY="}
	if !reflect.DeepEqual(cfg.Env, wantEnv) {
		t.Errorf("env = %q, want %q", cfg.Env, wantEnv)
	}
	if !reflect.DeepEqual(cfg.Labels, map[string]string{"a": "b", "flag": ""}) {
		t.Errorf("labels = %v", cfg.Labels)
	}
	if cfg.Image != "busybox" || !reflect.DeepEqual(cfg.Cmd, []string{"sh", "-c", "echo hi", "-e", "notaflag"}) {
		t.Errorf("image/cmd = %q %q", cfg.Image, cfg.Cmd)
	}
	if cfg.User != "1000:1000" || cfg.WorkingDir != "/tmp" || cfg.Hostname != "box" || cfg.Entrypoint != nil {
		t.Errorf("config = %+v", cfg)
	}
	if !cfg.Tty || !cfg.OpenStdin || !cfg.AttachStdin || !cfg.StdinOnce || !cfg.AttachStdout || !cfg.AttachStderr {
		t.Errorf("stdio config = %+v", cfg)
	}
	if !hc.AutoRemove || hc.Init == nil || !*hc.Init || !hc.Privileged || !hc.ReadonlyRootfs || hc.Memory != 64<<20 {
		t.Errorf("host config = %+v", hc)
	}
	if hc.NetworkMode != "mynet" || req.netConfig.EndpointsConfig["mynet"] == nil {
		t.Errorf("network = %q %+v", hc.NetworkMode, req.netConfig)
	}
	if !reflect.DeepEqual(hc.CapAdd, []string{"net_admin"}) {
		t.Errorf("cap-add = %q", hc.CapAdd)
	}
}

func TestParseDefaults(t *testing.T) {
	o, args := parseFlags(t, "busybox")
	req, err := o.parse(args, attachStreams{}, fakeEnv)
	if err != nil {
		t.Fatal(err)
	}
	if req.config.Cmd != nil || req.config.Entrypoint != nil || req.config.Env != nil {
		t.Errorf("config = %+v", req.config)
	}
	if req.hostConfig.NetworkMode != "default" || len(req.netConfig.EndpointsConfig) != 0 || req.platform != nil {
		t.Errorf("network = %q %+v", req.hostConfig.NetworkMode, req.netConfig)
	}
	if req.config.AttachStdin || req.config.AttachStdout || req.config.OpenStdin || req.config.StdinOnce {
		t.Errorf("detached stdio = %+v", req.config)
	}
}

func TestParseEntrypoint(t *testing.T) {
	tests := []struct {
		argv []string
		want []string
	}{
		{[]string{"--entrypoint", "/bin/sh -c", "img"}, []string{"/bin/sh -c"}},
		{[]string{"--entrypoint=", "img"}, []string{""}},
		{[]string{"img"}, nil},
	}
	for _, tt := range tests {
		o, args := parseFlags(t, tt.argv...)
		req, err := o.parse(args, attachStreams{}, fakeEnv)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(req.config.Entrypoint, tt.want) {
			t.Errorf("%q: entrypoint = %q, want %q", tt.argv, req.config.Entrypoint, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("MY VAR=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		argv []string
		msg  string
	}{
		{[]string{"--pull", "sometimes", "img"}, `invalid pull option: 'sometimes': must be one of "always", "missing" or "never"`},
		{[]string{"--env-file", bad, "img"}, "invalid env file (" + bad + "): variable 'MY VAR' contains whitespaces"},
		{[]string{"-e", "=x", "img"}, "invalid environment variable: =x"},
		{[]string{"-m", "lots", "img"}, `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`},
	}
	for _, tt := range tests {
		o, args := parseFlags(t, tt.argv...)
		_, err := o.parse(args, attachStreams{}, fakeEnv)
		if err == nil || err.Error() != tt.msg || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q: err = %v, want %q (invalid argument)", tt.argv, err, tt.msg)
		}
	}
	o, args := parseFlags(t, "--env-file", "/nonexistent/env", "img")
	if _, err := o.parse(args, attachStreams{}, fakeEnv); err == nil || err.Error() != "open /nonexistent/env: no such file or directory" {
		t.Errorf("missing env file: %v", err)
	}
}

func TestParsePlatform(t *testing.T) {
	o, args := parseFlags(t, "--platform", "linux/arm64/v8", "img")
	req, err := o.parse(args, attachStreams{}, fakeEnv)
	if err != nil {
		t.Fatal(err)
	}
	if p := req.platform; p == nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" {
		t.Errorf("platform = %+v", p)
	}
}

func TestStartExitCode(t *testing.T) {
	tests := []struct {
		msg  string
		want int
	}{
		{`Error response from daemon: failed to create task: exec: "nope": executable file not found in $PATH`, 127},
		{"Error response from daemon: exec /bin/x: no such file or directory", 127},
		{"Error response from daemon: exec /etc: permission denied", 126},
		{"Error response from daemon: exec /etc: is a directory", 126},
		{"Error response from daemon: network foo not found", 125},
	}
	for _, tt := range tests {
		if got := startExitCode(errors.New(tt.msg)); got != tt.want {
			t.Errorf("%s: got %d want %d", tt.msg, got, tt.want)
		}
	}
}
