package build

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
)

func TestBuildOptions(t *testing.T) {
	q := url.Values{
		"t": {"a:1", "b:2"}, "dockerfile": {"sub/Dockerfile"}, "target": {"final"},
		"buildargs": {`{"A":"1","B":null}`}, "labels": {`{"l":"v"}`},
		"nocache": {"1"}, "rm": {"0"}, "forcerm": {"1"}, "q": {"true"}, "pull": {"1"}, "networkmode": {"none"},
		"memory": {"67108864"}, "cpushares": {"512"}, "shmsize": {"1048576"}, "cpusetcpus": {"0"},
		"extrahosts": {"db:10.0.0.2"}, "ulimits": {`[{"Name":"nofile","Soft":100,"Hard":200}]`},
	}
	req := httptest.NewRequest("POST", "/build?"+q.Encode(), nil)
	req.Header.Set("X-Registry-Config", base64.URLEncoding.EncodeToString([]byte(`{"reg:5000":{"username":"u"}}`)))
	req.Header.Set(SecretsHeader, base64.StdEncoding.EncodeToString([]byte(`{"tok":"c2VjcmV0"}`)))
	_ = req.ParseForm()
	o, err := buildOptions(req)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Tags, []string{"a:1", "b:2"}) || o.Dockerfile != "sub/Dockerfile" || o.Target != "final" ||
		*o.BuildArgs["A"] != "1" || o.BuildArgs["B"] != nil || o.Labels["l"] != "v" ||
		!o.NoCache || o.Remove || !o.ForceRemove || !o.Quiet || !o.Pull || o.NetworkMode != "none" ||
		o.Auth["reg:5000"].Username != "u" || string(o.Secrets["tok"]) != "secret" ||
		o.Resources.Memory != 64<<20 || o.Resources.CPUShares != 512 || o.ShmSize != 1<<20 || o.Resources.CpusetCpus != "0" ||
		!slices.Equal(o.ExtraHosts, []string{"db:10.0.0.2"}) || len(o.Resources.Ulimits) != 1 || o.Resources.Ulimits[0].Hard != 200 {
		t.Errorf("options: %+v", o)
	}
	req = httptest.NewRequest("POST", "/build", nil)
	_ = req.ParseForm()
	if o, _ := buildOptions(req); !o.Remove {
		t.Error("rm defaults to true")
	}
}

func TestBuildOptionsInvalid(t *testing.T) {
	tests := []struct {
		query  string
		header [2]string
		is     error
	}{
		{query: "buildargs=notjson", is: errdefs.ErrInvalidArgument},
		{query: "labels=[1]", is: errdefs.ErrInvalidArgument},
		{query: "memory=lots", is: errdefs.ErrInvalidArgument},
		{query: "remote=client-session", is: errdefs.ErrNotImplemented},
		{query: "cachefrom=img", is: errdefs.ErrInvalidArgument},
		{header: [2]string{"X-Registry-Config", "!!"}, is: errdefs.ErrInvalidArgument},
		{header: [2]string{SecretsHeader, "e30"}, is: errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("POST", "/build?"+tc.query, nil)
		if tc.header[0] != "" {
			req.Header.Set(tc.header[0], tc.header[1])
		}
		_ = req.ParseForm()
		if _, err := buildOptions(req); !errors.Is(err, tc.is) {
			t.Errorf("%q %v: err = %v, want %v", tc.query, tc.header, err, tc.is)
		}
	}
}

// TestBuildOptionsRemote: remote, cachefrom and platform are passed on.
func TestBuildOptionsRemote(t *testing.T) {
	q := url.Values{"remote": {"https://example.com/r.git#main:sub"}, "cachefrom": {`["a:1","b"]`}, "platform": {"linux/amd64"}}
	req := httptest.NewRequest("POST", "/build?"+q.Encode(), nil)
	_ = req.ParseForm()
	o, err := buildOptions(req)
	if err != nil || o.Remote != "https://example.com/r.git#main:sub" || !slices.Equal(o.CacheFrom, []string{"a:1", "b"}) || o.Platform != "linux/amd64" {
		t.Errorf("options: %+v, %v", o, err)
	}
}
