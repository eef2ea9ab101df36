package daemon

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	engine "github.com/berth-engine/berth/internal/daemon"
)

func TestDaemonFlags(t *testing.T) {
	var got engine.Config
	var set map[string]bool
	run := func(ctx context.Context, cfg engine.Config, s map[string]bool) error {
		got, set = cfg, s
		return nil
	}
	var errOut bytes.Buffer
	code := runMain(run, []string{"--data-root", "/tmp/dr", "-H", "unix:///tmp/a.sock", "-H", "tcp://127.0.0.1:1",
		"-D", "-b", "br9", "--fixed-cidr", "10.9.0.0/24", "-s", "native", "-p", "/tmp/p.pid"}, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := engine.Config{
		DataRoot: "/tmp/dr", ExecRoot: engine.DefaultExecRoot, Hosts: []string{"unix:///tmp/a.sock", "tcp://127.0.0.1:1"},
		Pidfile: "/tmp/p.pid", ConfigFile: engine.DefaultConfigFile, LogLevel: "debug", DefaultRuntime: "", // chosen by the daemon (crun when installed)
		Bridge: "br9", FixedCIDR: "10.9.0.0/24", StorageDriver: "native",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config = %+v\nwant %+v", got, want)
	}
	for _, f := range []string{"data-root", "host", "debug", "log-level", "bridge", "fixed-cidr", "storage-driver", "pidfile"} {
		if !set[f] {
			t.Errorf("setFlags lacks %q: %v", f, set)
		}
	}
	if set["exec-root"] || set["config-file"] {
		t.Errorf("setFlags has defaults: %v", set)
	}
}

func TestMainFlagError(t *testing.T) {
	var errOut bytes.Buffer
	run := func(context.Context, engine.Config, map[string]bool) error { t.Fatal("ran"); return nil }
	if code := runMain(run, []string{"--bogus"}, &errOut); code != 125 {
		t.Fatalf("exit %d", code)
	}
	if want := "unknown flag: --bogus\n\nUsage:  berth daemon [OPTIONS]\n\nRun 'berth daemon --help' for more information\n"; errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut.String(), want)
	}
	errOut.Reset()
	fail := func(context.Context, engine.Config, map[string]bool) error { return context.Canceled }
	if code := runMain(fail, nil, &errOut); code != 1 || !strings.Contains(errOut.String(), "context canceled") {
		t.Fatalf("engine failure: exit %d, %q", code, errOut.String())
	}
}
