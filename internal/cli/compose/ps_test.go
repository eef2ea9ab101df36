package compose

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

func TestPsObject(t *testing.T) {
	ctr := container.Summary{
		ID: "0123456789abcdef0123", Names: []string{"/p-web-1"}, Image: "busybox", Command: "httpd -f -p 80 -h /www",
		State: container.StateRunning, Status: "Up 2 seconds",
		Labels: map[string]string{"com.docker.compose.project": "p", "com.docker.compose.service": "web"},
		Ports:  []container.PortSummary{{IP: netip.MustParseAddr("127.0.0.1"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"}},
	}
	data, err := json.Marshal(psObject(ctr, "healthy", 0))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"ID": "0123456789ab", "Name": "p-web-1", "Service": "web", "Project": "p",
		"State": "running", "Health": "healthy", "Command": `"httpd -f -p 80 -h /…"`, "Ports": "127.0.0.1:8080->80/tcp",
		"ExitCode": float64(0), "LocalVolumes": "0"} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	pubs, _ := got["Publishers"].([]any)
	if len(pubs) != 1 || pubs[0].(map[string]any)["PublishedPort"] != float64(8080) || pubs[0].(map[string]any)["URL"] != "127.0.0.1" {
		t.Errorf("Publishers = %#v", got["Publishers"])
	}
}

func TestPsFilters(t *testing.T) {
	o := psOptions{filter: "status=exited"}
	if err := o.parseFilter(); err != nil || !slices.Equal(o.status, []string{"exited"}) {
		t.Errorf("--filter status=exited: %v %v", o.status, err)
	}
	for _, bad := range []string{"status", "name=x"} {
		o := psOptions{filter: bad}
		if err := o.parseFilter(); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("--filter %s: %v", bad, err)
		}
	}
	ctrs := []container.Summary{{ID: "a", State: container.StateRunning}, {ID: "b", State: container.StateExited}}
	if got := filterStatus(ctrs, []string{"exited"}); len(got) != 1 || got[0].ID != "b" {
		t.Errorf("filterStatus: %v", got)
	}
	p := &types.Project{Services: types.Services{"web": {Name: "web"}, "db": {Name: "db"}}}
	if _, err := psServices(p, []string{"nosuch"}, true); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("unknown service: %v", err)
	}
	if got, _ := psServices(p, nil, false); !slices.Equal(got, []string{"db", "web"}) {
		t.Errorf("--orphans=false: %v", got)
	}
}

func TestConfigRender(t *testing.T) {
	web := types.ServiceConfig{Name: "web", Profiles: []string{"front"}}
	web.Image = "nginx"
	p := &types.Project{Name: "p",
		Services:         types.Services{"web": web, "app": {Name: "app"}},
		DisabledServices: types.Services{"dbg": {Name: "dbg", Profiles: []string{"debug", "front"}}},
		Networks:         types.Networks{"default": {}, "back": {}},
		Volumes:          types.Volumes{"data": {}},
	}
	for _, tc := range []struct {
		o    configOptions
		want string
	}{
		{configOptions{services: true}, "app\nweb\n"},
		{configOptions{volumes: true}, "data\n"},
		{configOptions{networks: true}, "back\ndefault\n"},
		{configOptions{images: true}, "p-app\nnginx\n"},
		{configOptions{profiles: true}, "debug\nfront\n"},
	} {
		got, err := tc.o.render(p, false)
		if err != nil || string(got) != tc.want {
			t.Errorf("%+v: %q %v, want %q", tc.o, got, err, tc.want)
		}
	}
	if got, err := (configOptions{hash: "web"}).render(p, true); err != nil || len(got) != len("web ")+64+1 {
		t.Errorf("--hash web: %q %v", got, err)
	}
	if _, err := (configOptions{hash: "nosuch"}).render(p, true); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("--hash nosuch: %v", err)
	}
}
