package command

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// decodeBoth decodes json.Marshal(v) and MarshalSet(v) into fresh values
// of v's type and fails unless they are equal.
func decodeBoth[T any](t *testing.T, v T) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := MarshalSet(v)
	if err != nil {
		t.Fatal(err)
	}
	var a, b T
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("MarshalSet wrote invalid JSON: %v\n%s", err, got)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("decoded differently:\nencoding/json: %s\nMarshalSet:    %s", want, got)
	}
}

// fill sets every field it can reach to a non-zero value that differs
// from field to field, so that a field written under the wrong name, or
// shadowed by an embedded one, decodes differently.
func fill(v reflect.Value, n *int, depth int) {
	*n++
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n, depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[netip.Addr]() {
			v.Set(reflect.ValueOf(netip.AddrFrom4([4]byte{10, 0, byte(*n), 1})))
			return
		}
		if v.Type() == reflect.TypeFor[netip.Prefix]() {
			v.Set(reflect.ValueOf(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(*n), 0, 0}), 16)))
			return
		}
		if v.Type() == reflect.TypeFor[network.Port]() {
			v.Set(reflect.ValueOf(network.MustParsePort("80/tcp")))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n, depth)
			}
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		if v.Type() == reflect.TypeFor[network.HardwareAddr]() {
			v.Set(reflect.ValueOf(network.HardwareAddr{2, 0, 0, 0, 0, byte(*n)}))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n, depth+1)
		fill(s.Index(1), n, depth+1)
		v.Set(s)
	case reflect.Map:
		if depth > 6 {
			return
		}
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, n, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, n, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		if v.NumMethod() == 0 {
			v.Set(reflect.ValueOf("any"))
		}
	case reflect.String:
		v.SetString("s\x1b\"<" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	}
}

func TestMarshalSetFullRequest(t *testing.T) {
	var req container.CreateRequest
	n := 0
	fill(reflect.ValueOf(&req).Elem(), &n, 0)
	if req.Config == nil || req.HostConfig == nil || req.NetworkingConfig == nil {
		t.Fatal("fill left the request's parts nil")
	}
	decodeBoth(t, req)
}

func TestMarshalSetKeepsSetZeroes(t *testing.T) {
	no := false
	req := container.CreateRequest{
		Config: &container.Config{
			Image:      "busybox",
			Entrypoint: []string{},                // reset the image's entrypoint
			Labels:     map[string]string{"": ""}, // an empty label stays
			Env:        []string{"A=\u2028\x00"},
		},
		HostConfig: &container.HostConfig{
			Resources: container.Resources{OomKillDisable: &no},
			Mounts:    []mount.Mount{{Type: mount.TypeTmpfs, Target: "/t"}},
		},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"n": nil, "m": {}}},
	}
	decodeBoth(t, req)
	got, _ := MarshalSet(req)
	var raw map[string]any
	if err := json.Unmarshal(got, &raw); err != nil {
		t.Fatal(err)
	}
	if e, ok := raw["Entrypoint"].([]any); !ok || len(e) != 0 {
		t.Errorf("Entrypoint: got %v, want []", raw["Entrypoint"])
	}
	if hc := raw["HostConfig"].(map[string]any); hc["OomKillDisable"] != false {
		t.Errorf("OomKillDisable: got %v, want false", hc["OomKillDisable"])
	}
	if _, ok := raw["Hostname"]; ok {
		t.Error("an unset field was written")
	}
}

func TestMarshalSetEmpty(t *testing.T) {
	decodeBoth(t, container.CreateRequest{})
	decodeBoth(t, container.CreateRequest{Config: &container.Config{}})
	got, err := MarshalSet(container.CreateRequest{Config: &container.Config{Image: "x"}})
	if err != nil || string(got) != `{"Image":"x"}` {
		t.Errorf("got %s, %v", got, err)
	}
}
