package volume

import (
	"bytes"
	"context"
	"testing"

	"github.com/berth-engine/berth/internal/cli/command"
	apivolume "github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
)

type fakeAPI struct {
	client.APIClient
	created client.VolumeCreateOptions
}

func (f *fakeAPI) VolumeList(context.Context, client.VolumeListOptions) (client.VolumeListResult, error) {
	return client.VolumeListResult{Items: []apivolume.Volume{
		{Name: "data", Driver: "local", Labels: map[string]string{"a": "b"}},
		{Name: "cache", Driver: "local"},
	}}, nil
}

func (f *fakeAPI) VolumeCreate(_ context.Context, o client.VolumeCreateOptions) (client.VolumeCreateResult, error) {
	f.created = o
	return client.VolumeCreateResult{Volume: apivolume.Volume{Name: o.Name}}, nil
}

func TestList(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "DRIVER    VOLUME NAME\nlocal     data\nlocal     cache\n"},
		{[]string{"-q"}, "data\ncache\n"},
		{[]string{"--format", "{{.Name}}={{.Label \"a\"}}"}, "data=b\ncache=\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		cmd := NewVolumeCommand(command.NewWithClient(&fakeAPI{}, &out, &out))
		cmd.SetArgs(append([]string{"ls"}, tt.args...))
		if err := cmd.Execute(); err != nil || out.String() != tt.want {
			t.Errorf("ls %v: %q, %v\nwant %q", tt.args, out.String(), err, tt.want)
		}
	}
}

func TestCreate(t *testing.T) {
	var out bytes.Buffer
	api := &fakeAPI{}
	cmd := NewVolumeCommand(command.NewWithClient(api, &out, &out))
	cmd.SetArgs([]string{"create", "-o", "type=tmpfs", "-o", "o=size=1m,uid=1", "--label", "k", "v1"})
	if err := cmd.Execute(); err != nil || out.String() != "v1\n" {
		t.Fatalf("%q %v", out.String(), err)
	}
	o := api.created
	if o.Name != "v1" || o.Driver != "local" || o.DriverOpts["type"] != "tmpfs" || o.DriverOpts["o"] != "size=1m,uid=1" || o.Labels["k"] != "" {
		t.Fatalf("request %+v", o)
	}
	cmd.SetArgs([]string{"create", "-o", "novalue", "v2"})
	if err := cmd.Execute(); err == nil {
		t.Fatal("option without value accepted")
	}
}
