package manager

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// TestInterruptedNetworksDropped: records left with an intent (a crash
// during create or remove) are removed at start, not brought up.
func TestInterruptedNetworksDropped(t *testing.T) {
	dir := t.TempDir()
	m := &Manager{cfg: Config{StateDir: dir, Log: slog.Default()}}
	for i, state := range []string{StateCreating, StateRemoving} {
		r := &Record{Version: recordVersion, ID: string(rune('a'+i)) + id64[1:], Name: state, Subnet: "10.9.0.0/24",
			Bridge: "btintent" + string(rune('a'+i)), State: state}
		if err := m.save(r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := New(context.Background(), Config{StateDir: dir, NetNSDir: filepath.Join(dir, "netns"), Log: slog.Default()})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if l := got.List(); len(l) != 0 {
		t.Errorf("networks up: %+v", l)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(left) != 0 {
		t.Errorf("records left: %v", left)
	}
}

func TestFaultPoint(t *testing.T) {
	t.Setenv(FaultEnv, "elsewhere")
	if err := faultPoint(context.Background(), faultCreateAfterBridge); err != nil {
		t.Fatal(err)
	}
	t.Setenv(FaultEnv, faultCreateAfterBridge)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := faultPoint(ctx, faultCreateAfterBridge); !errors.Is(err, context.Canceled) {
		t.Fatalf("fault point: %v", err)
	}
}

func TestPredefinedRules(t *testing.T) {
	def := &userNet{rec: &Record{Name: "bridge", Predefined: true}}
	user := &userNet{rec: &Record{Name: "u"}}
	for _, tc := range []struct {
		name string
		n    *userNet
		opts EndpointOptions
		want error
	}{
		{"plain", def, EndpointOptions{}, nil},
		{"alias", def, EndpointOptions{Aliases: []string{"a"}}, errdefs.ErrInvalidArgument},
		{"ip", def, EndpointOptions{IP: net.ParseIP("10.1.2.3")}, errdefs.ErrInvalidArgument},
		{"user network: anything", user, EndpointOptions{Aliases: []string{"a"}, IP: net.ParseIP("10.1.2.3")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.n.checkPredefined(tc.opts)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestPredefinedRecordApart: the default bridge's endpoints are saved
// apart from the user networks' records, found by name, and a container
// connected to it takes an interface name the others skip.
func TestPredefinedRecordApart(t *testing.T) {
	dir := t.TempDir()
	m := fakeNets(&Record{ID: id64, Name: "u", Endpoints: map[string]*EndpointRecord{"c": {ContainerID: "c", IfName: "eth1", IP: "10.0.0.2"}}})
	m.cfg = Config{StateDir: dir}
	m.def = &userNet{rec: &Record{Version: recordVersion, ID: "b" + id64[1:], Name: "bridge", Subnet: "172.18.0.0/16", Predefined: true,
		Endpoints: map[string]*EndpointRecord{"c": {ContainerID: "c", IfName: "eth2", IP: "172.18.0.3"}}}}
	if err := m.save(m.def.rec); err != nil {
		t.Fatal(err)
	}
	if recs, _ := loadRecords(dir); len(recs) != 0 {
		t.Errorf("the default bridge's record loaded as a user network: %+v", recs)
	}
	if _, err := os.Stat(m.predefinedPath()); err != nil {
		t.Error(err)
	}
	if n, err := m.lookupMember("bridge"); err != nil || n != m.def {
		t.Errorf("lookupMember bridge: %v", err)
	}
	if _, err := m.lookup("bridge"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("lookup finds the default bridge: %v", err)
	}
	if got := m.nextIfName("c"); got != "eth3" {
		t.Errorf("next interface %s", got)
	}
}
