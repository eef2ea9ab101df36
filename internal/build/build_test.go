package build

import (
	"io"
	"slices"
	"strings"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestExpandPorts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "80", want: []string{"80/tcp"}},
		{in: "53/UDP", want: []string{"53/udp"}},
		{in: "8000-8002/tcp", want: []string{"8000/tcp", "8001/tcp", "8002/tcp"}},
		{in: "x", bad: true},
		{in: "80/icmp", bad: true},
		{in: "9-8", bad: true},
	}
	for _, tc := range tests {
		got, err := expandPorts(tc.in)
		if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("expandPorts(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestParseChown(t *testing.T) {
	files := func(name string) io.Reader {
		if name == "/etc/passwd" {
			return strings.NewReader("app:x:1001:1002::/home/app:/bin/sh\n")
		}
		return strings.NewReader("staff:x:50:\n")
	}
	tests := []struct {
		spec     string
		uid, gid int
		bad      bool
	}{
		{spec: "10", uid: 10, gid: 10},
		{spec: "10:20", uid: 10, gid: 20},
		{spec: "app", uid: 1001, gid: 1001},
		{spec: "app:staff", uid: 1001, gid: 50},
		{spec: "nobody-here", bad: true},
	}
	for _, tc := range tests {
		got, err := parseChown(tc.spec, files)
		if tc.bad {
			if err == nil {
				t.Errorf("parseChown(%q) succeeded", tc.spec)
			}
			continue
		}
		if err != nil || got[0] != tc.uid || got[1] != tc.gid {
			t.Errorf("parseChown(%q) = %v, %v", tc.spec, got, err)
		}
	}
	if _, err := parseChown("app", nil); err == nil {
		t.Error("names resolved without an image")
	}
}

func TestParseChmod(t *testing.T) {
	for in, want := range map[string]int64{"640": 0o640, "4755": 0o4755} {
		if got, err := parseChmod(in); err != nil || *got != want {
			t.Errorf("parseChmod(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"9", "u+x", "77777"} {
		if _, err := parseChmod(in); err == nil {
			t.Errorf("parseChmod(%q) succeeded", in)
		}
	}
}

func TestWorkdir(t *testing.T) {
	tests := []struct{ cur, dir, want string }{
		{"", "app", "/app"},
		{"/a", "b/../c", "/a/c"},
		{"/a", "/x/", "/x"},
	}
	for _, tc := range tests {
		if got := workdir(tc.cur, tc.dir); got != tc.want {
			t.Errorf("workdir(%q, %q) = %q, want %q", tc.cur, tc.dir, got, tc.want)
		}
	}
}

func TestCacheKey(t *testing.T) {
	cfg := dockerspec.DockerOCIImageConfig{}
	cfg.Env = []string{"A=b"}
	base := cacheKey("sha256:1", "RUN x", cfg, "")
	if base != cacheKey("sha256:1", "RUN x", cfg, "") {
		t.Fatal("cache key is not stable")
	}
	other := cfg
	other.Env = []string{"A=c"}
	for name, k := range map[string]string{
		"parent":  cacheKey("sha256:2", "RUN x", cfg, ""),
		"command": cacheKey("sha256:1", "RUN y", cfg, ""),
		"config":  cacheKey("sha256:1", "RUN x", other, ""),
		"sum":     cacheKey("sha256:1", "RUN x", cfg, "abc"),
	} {
		if k == base {
			t.Errorf("a different %s gives the same key", name)
		}
	}
}

func TestArgEnv(t *testing.T) {
	st := &state{args: map[string]string{"B": "2", "A": "1", "E": "arg"}}
	st.cfg.Env = []string{"E=env"}
	if got := st.argEnv(); !slices.Equal(got, []string{"A=1", "B=2"}) {
		t.Errorf("argEnv = %v", got)
	}
}
