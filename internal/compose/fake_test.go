package compose

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
)

// fakeAPI is an in-memory daemon for the calls Up and Down make; other
// methods of client.APIClient panic (nil embedded interface).
type fakeAPI struct {
	client.APIClient
	mu        sync.Mutex
	next      int
	ctrs      map[string]*container.Summary
	nets      map[string]map[string]string // name → labels
	vols      map[string]map[string]string
	calls     []string
	failStart string                                   // name of a container whose start fails
	created   map[string]client.ContainerCreateOptions // by container name
}

func newFake() *fakeAPI {
	return &fakeAPI{ctrs: map[string]*container.Summary{}, nets: map[string]map[string]string{}, vols: map[string]map[string]string{},
		created: map[string]client.ContainerCreateOptions{}}
}

func (f *fakeAPI) record(format string, a ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
}

func (f *fakeAPI) ContainerList(_ context.Context, o client.ContainerListOptions) (client.ContainerListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var res client.ContainerListResult
	for _, c := range f.ctrs {
		if matches(c.Labels, o.Filters["label"]) {
			res.Items = append(res.Items, *c)
		}
	}
	return res, nil
}

func matches(labels map[string]string, want map[string]bool) bool {
	for kv := range want {
		k, v, _ := strings.Cut(kv, "=")
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeAPI) ContainerCreate(_ context.Context, o client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("id%d", f.next)
	f.ctrs[id] = &container.Summary{ID: id, Names: []string{"/" + o.Name}, Labels: o.Config.Labels, State: container.StateCreated, ImageID: "sha256:img"}
	f.created[o.Name] = o
	f.record("create %s", o.Name)
	return client.ContainerCreateResult{ID: id}, nil
}

func (f *fakeAPI) ContainerStart(_ context.Context, id string, _ client.ContainerStartOptions) (client.ContainerStartResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctrs[id].Names[0][1:] == f.failStart {
		return client.ContainerStartResult{}, fmt.Errorf("port is already allocated: %w", errdefs.ErrConflict)
	}
	f.ctrs[id].State = container.StateRunning
	f.record("start %s", f.ctrs[id].Names[0][1:])
	return client.ContainerStartResult{}, nil
}

func (f *fakeAPI) ContainerStop(_ context.Context, id string, _ client.ContainerStopOptions) (client.ContainerStopResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctrs[id].State = container.StateExited
	return client.ContainerStopResult{}, nil
}

func (f *fakeAPI) ContainerRemove(_ context.Context, id string, _ client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove %s", f.ctrs[id].Names[0][1:])
	delete(f.ctrs, id)
	return client.ContainerRemoveResult{}, nil
}

func (f *fakeAPI) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	var res client.ImageInspectResult
	res.ID = "sha256:img"
	return res, nil
}

func (f *fakeAPI) NetworkInspect(_ context.Context, name string, _ client.NetworkInspectOptions) (client.NetworkInspectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nets[name]; !ok {
		return client.NetworkInspectResult{}, fmt.Errorf("network %s: %w", name, errdefs.ErrNotFound)
	}
	return client.NetworkInspectResult{}, nil
}

func (f *fakeAPI) NetworkCreate(_ context.Context, name string, o client.NetworkCreateOptions) (client.NetworkCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nets[name] = o.Labels
	f.record("network %s", name)
	return client.NetworkCreateResult{ID: name}, nil
}

func (f *fakeAPI) NetworkConnect(context.Context, string, client.NetworkConnectOptions) (client.NetworkConnectResult, error) {
	return client.NetworkConnectResult{}, nil
}

func (f *fakeAPI) NetworkList(_ context.Context, o client.NetworkListOptions) (client.NetworkListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var res client.NetworkListResult
	for name, labels := range f.nets {
		if matches(labels, o.Filters["label"]) {
			res.Items = append(res.Items, network.Summary{Network: network.Network{Name: name, ID: name}})
		}
	}
	return res, nil
}

func (f *fakeAPI) NetworkRemove(_ context.Context, id string, _ client.NetworkRemoveOptions) (client.NetworkRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.nets, id)
	return client.NetworkRemoveResult{}, nil
}

func (f *fakeAPI) VolumeInspect(_ context.Context, name string, _ client.VolumeInspectOptions) (client.VolumeInspectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.vols[name]; !ok {
		return client.VolumeInspectResult{}, fmt.Errorf("volume %s: %w", name, errdefs.ErrNotFound)
	}
	return client.VolumeInspectResult{}, nil
}

func (f *fakeAPI) VolumeCreate(_ context.Context, o client.VolumeCreateOptions) (client.VolumeCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vols[o.Name] = o.Labels
	f.record("volume %s", o.Name)
	return client.VolumeCreateResult{}, nil
}

func (f *fakeAPI) VolumeList(_ context.Context, o client.VolumeListOptions) (client.VolumeListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var res client.VolumeListResult
	for name, labels := range f.vols {
		if matches(labels, o.Filters["label"]) {
			res.Items = append(res.Items, volume.Volume{Name: name})
		}
	}
	return res, nil
}

func (f *fakeAPI) VolumeRemove(_ context.Context, name string, _ client.VolumeRemoveOptions) (client.VolumeRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.vols, name)
	return client.VolumeRemoveResult{}, nil
}

// takeCalls returns and clears the recorded calls.
func (f *fakeAPI) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}
