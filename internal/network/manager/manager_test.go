package manager

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// fakeNets builds a manager whose networks have records only (no bridge):
// enough for name resolution and record handling.
func fakeNets(recs ...*Record) *Manager {
	m := &Manager{nets: map[string]*userNet{}}
	for _, r := range recs {
		m.nets[r.ID] = &userNet{rec: r}
	}
	return m
}

func TestResolve(t *testing.T) {
	front := &Record{ID: "f" + id64[1:], Name: "front", Endpoints: map[string]*EndpointRecord{
		"c1" + id64[2:]: {ContainerID: "c1", Name: "web", Aliases: []string{"www"}, IP: "10.1.0.2"},
		"c2" + id64[2:]: {ContainerID: "c2", Name: "proxy", IP: "10.1.0.3"},
		"c3" + id64[2:]: {ContainerID: "c3", Name: "stopped"},
	}}
	back := &Record{ID: "b" + id64[1:], Name: "back", Endpoints: map[string]*EndpointRecord{
		"c2" + id64[2:]: {ContainerID: "c2", Name: "proxy", IP: "10.2.0.3"},
		"c4" + id64[2:]: {ContainerID: "c4", Name: "db", IP: "10.2.0.4"},
	}}
	m := fakeNets(front, back)
	f, b := m.nets[front.ID], m.nets[back.ID]
	for _, tc := range []struct {
		name, src, q string
		on           *userNet
		want         string
	}{
		{"name", "10.1.0.3", "web", f, "10.1.0.2"},
		{"alias, any case", "10.1.0.3", "WWW", f, "10.1.0.2"},
		{"short id", "10.1.0.3", ("c1" + id64[2:])[:12], f, "10.1.0.2"},
		{"name.network", "10.1.0.3", "db.back", f, "10.2.0.4"},
		{"name.other network", "10.1.0.3", "web.back", f, ""},
		{"the querier's other network", "10.1.0.3", "db", f, "10.2.0.4"},
		{"not the other network of someone else", "10.1.0.2", "db", f, ""},
		{"own network first", "10.2.0.3", "proxy", b, "10.2.0.3"},
		{"stopped containers do not resolve", "10.1.0.2", "stopped", f, ""},
		{"unknown: forwarded", "10.1.0.2", "example.com", f, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := m.resolve(tc.on, tc.src, tc.q)
			if tc.want == "" {
				if got != nil {
					t.Fatalf("resolved %v", got)
				}
				return
			}
			if len(got) != 1 || !got[0].Equal(net.ParseIP(tc.want)) {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

const id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestLookupAndAliases(t *testing.T) {
	a := &Record{ID: "aa" + id64[2:], Name: "alpha", Endpoints: map[string]*EndpointRecord{
		"x": {ContainerID: "x", Name: "web", Aliases: []string{"www"}},
	}}
	m := fakeNets(a, &Record{ID: "ab" + id64[2:], Name: "beta", Endpoints: map[string]*EndpointRecord{}})
	for ref, want := range map[string]error{"alpha": nil, a.ID: nil, "aa": nil, "a": errdefs.ErrInvalidArgument, "gamma": errdefs.ErrNotFound} {
		if _, err := m.lookup(ref); (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("lookup %q: %v, want %v", ref, err, want)
		}
	}
	n := m.nets[a.ID]
	if err := m.checkAliases(n, "y", []string{"WWW"}); err != nil {
		t.Errorf("shared alias (allowed, as in Docker): %v", err)
	}
	if err := m.checkAliases(n, "y", []string{"web"}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("alias = another container's name: %v", err)
	}
	if err := m.checkAliases(n, "x", []string{"www"}); err != nil {
		t.Errorf("own alias again: %v", err)
	}
	if got := m.nextIfName("x"); got != "eth1" {
		t.Errorf("next interface %s", got)
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := &Manager{cfg: Config{StateDir: dir}}
	r := &Record{Version: recordVersion, ID: id64, Name: "n", Subnet: "10.9.0.0/24", Endpoints: map[string]*EndpointRecord{
		"c": {ContainerID: "c", Name: "web", IP: "10.9.0.2"},
	}}
	if err := m.save(r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"Version":99,"ID":"x","Subnet":"10.0.0.0/8"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, errs := loadRecords(dir)
	if len(recs) != 1 || recs[0].Endpoints["c"].IP != "10.9.0.2" || len(errs) != 1 || !errors.Is(errs[0], errdefs.ErrDataLoss) {
		t.Fatalf("records %+v, errors %v", recs, errs)
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]error{"": errdefs.ErrInvalidArgument, "bridge": errdefs.ErrPermissionDenied,
		"host": errdefs.ErrPermissionDenied, "a/b": errdefs.ErrInvalidArgument, "ok-net_1": nil} {
		if err := validName(name); (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("%q: %v, want %v", name, err, want)
		}
	}
}
