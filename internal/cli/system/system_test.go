package system

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

func TestWriteInspectJSON(t *testing.T) {
	raw := json.RawMessage(`{"Id":"abc","State":{"Status":"running","ExitCode":0},"Config":{"Cmd":["a<b"]}}`)
	typed := container.InspectResponse{ID: "abc", State: &container.State{Status: "running"}}
	tests := []struct {
		format string
		objs   []object
		want   string
	}{
		{"", nil, "[]\n"},
		{"", []object{{raw: raw, typed: typed}}, "[\n    {\n        \"Id\": \"abc\",\n        \"State\": {\n            \"Status\": \"running\",\n            \"ExitCode\": 0\n        },\n        \"Config\": {\n            \"Cmd\": [\n                \"a<b\"\n            ]\n        }\n    }\n]\n"},
		{"{{.State.Status}} {{.ID}}", []object{{raw: raw, typed: typed}, {raw: raw, typed: typed}}, "running abc\nrunning abc\n"},
		{"{{.Id}}", []object{{raw: raw, typed: typed}}, "abc\n"}, // raw JSON field names work too
		{"{{json .State.Status}}", []object{{raw: raw, typed: typed}}, "\"running\"\n"},
	}
	for _, tt := range tests {
		buf := &bytes.Buffer{}
		if err := writeInspect(buf, tt.format, tt.objs); err != nil {
			t.Fatalf("%q: %v", tt.format, err)
		}
		if buf.String() != tt.want {
			t.Errorf("%q: got\n%s\nwant\n%s", tt.format, buf.String(), tt.want)
		}
	}
}

func TestVersionLayout(t *testing.T) {
	buf := &bytes.Buffer{}
	writeClientVersion(buf, clientInfo{Version: "1.0", APIVersion: "1.47", GoVersion: "go1.26", OsArch: "linux/amd64"})
	writeServerVersion(buf, client.ServerVersionResult{
		Version: "1.0", APIVersion: "1.47", MinAPIVersion: "1.24", Os: "linux", Arch: "amd64",
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: "1.0", Details: map[string]string{"GitCommit": "abc", "GoVersion": "go1.26"}},
			{Name: "runc", Version: "1.1.5", Details: map[string]string{"GitCommit": "v1.1.5"}},
		},
	})
	want := `Client:
 Version:           1.0
 API version:       1.47
 Go version:        go1.26
 OS/Arch:           linux/amd64
 Context:           default
Server: Berth Engine
 Engine:
  Version:          1.0
  API version:      1.47 (minimum version 1.24)
  Go version:       go1.26
  Git commit:       abc
  OS/Arch:          linux/amd64
  Experimental:     false
 runc:
  Version:          1.1.5
  GitCommit:        v1.1.5
`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestInfoLayout(t *testing.T) {
	buf := &bytes.Buffer{}
	writeServerInfo(buf, system.Info{Containers: 2, ContainersRunning: 1, ContainersStopped: 1, Images: 3,
		ServerVersion: "1.0", Driver: "overlay2", DriverStatus: [][2]string{{"Backing Filesystem", "extfs"}},
		NCPU: 2, MemTotal: 4 << 30, DockerRootDir: "/var/lib/berth", OSType: "linux"})
	want := `Server:
 Containers: 2
  Running: 1
  Paused: 0
  Stopped: 1
 Images: 3
 Server Version: 1.0
 Storage Driver: overlay2
  Backing Filesystem: extfs
 OSType: linux
 CPUs: 2
 Total Memory: 4GiB
 Docker Root Dir: /var/lib/berth
 Debug Mode: false
 Experimental: false
 Live Restore Enabled: false

`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
