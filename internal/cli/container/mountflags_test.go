package container

import (
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/mount"
)

func TestParseMount(t *testing.T) {
	tests := []struct {
		in   string
		want mount.Mount
		err  bool
	}{
		{in: "type=bind,src=/a,dst=/b,readonly,bind-propagation=rslave", want: mount.Mount{Type: mount.TypeBind, Source: "/a", Target: "/b", ReadOnly: true, BindOptions: &mount.BindOptions{Propagation: mount.PropagationRSlave}}},
		{in: "source=v,target=/d,volume-nocopy,volume-opt=type=tmpfs", want: mount.Mount{Type: mount.TypeVolume, Source: "v", Target: "/d", VolumeOptions: &mount.VolumeOptions{NoCopy: true, DriverConfig: &mount.Driver{Options: map[string]string{"type": "tmpfs"}}}}},
		{in: "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770", want: mount.Mount{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1770}}},
		{in: "type=bind,src=/a", err: true},
		{in: "type=bind,src=/a,dst=/b,bogus=1", err: true},
		{in: "type=tmpfs,dst=/t,tmpfs-size=huge", err: true},
	}
	for _, tt := range tests {
		got, err := parseMount(tt.in)
		if (err != nil) != tt.err || err == nil && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %+v, %v", tt.in, got, err)
		}
	}
}
