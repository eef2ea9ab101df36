package image

import (
	"errors"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestApplyChanges(t *testing.T) {
	tests := []struct {
		name    string
		changes []string
		check   func(c dockerspec.DockerOCIImageConfig) bool
		wantErr bool
	}{
		{"cmd exec", []string{`CMD ["a", "b"]`}, func(c dockerspec.DockerOCIImageConfig) bool {
			return reflect.DeepEqual(c.Cmd, []string{"a", "b"})
		}, false},
		{"cmd shell", []string{"cmd echo hi"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return reflect.DeepEqual(c.Cmd, []string{"/bin/sh", "-c", "echo hi"})
		}, false},
		{"entrypoint resets cmd", []string{"ENTRYPOINT /bin/app"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return c.Cmd == nil && reflect.DeepEqual(c.Entrypoint, []string{"/bin/sh", "-c", "/bin/app"})
		}, false},
		{"env forms", []string{`ENV A="x y" B=2`, "ENV C hello world", "ENV A=3"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return reflect.DeepEqual(c.Env, []string{"A=3", "B=2", "C=hello world"})
		}, false},
		{"label quoted", []string{`LABEL "k 1"='v 1' k2=v2`}, func(c dockerspec.DockerOCIImageConfig) bool {
			return c.Labels["k 1"] == "v 1" && c.Labels["k2"] == "v2"
		}, false},
		{"expose", []string{"EXPOSE 80 53/udp 8000-8010"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return len(c.ExposedPorts) == 3 && c.ExposedPorts["53/udp"] == struct{}{}
		}, false},
		{"volume", []string{`VOLUME ["/data", "/logs"]`, "VOLUME /x"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return len(c.Volumes) == 3
		}, false},
		{"workdir relative", []string{"WORKDIR /a", "WORKDIR b"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return c.WorkingDir == "/a/b"
		}, false},
		{"user stopsignal", []string{"USER 1000:1000", "STOPSIGNAL SIGINT"}, func(c dockerspec.DockerOCIImageConfig) bool {
			return c.User == "1000:1000" && c.StopSignal == "SIGINT"
		}, false},
		{"unknown", []string{"RUN rm -rf /"}, nil, true},
		{"bad port", []string{"EXPOSE 99999"}, nil, true},
		{"bad env", []string{"ENV A=1 =2"}, nil, true},
		{"unterminated", []string{`LABEL a="b`}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := applyChanges(dockerspec.DockerOCIImageConfig{}, tt.changes)
			if tt.wantErr {
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Errorf("err = %v, want invalid argument", err)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Errorf("got %+v, %v", c, err)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in, arch, variant string
		wantErr           bool
	}{
		{"", "", "", false},
		{"linux/arm64/v8", "arm64", "v8", false},
		{"windows/amd64", "", "", true},
		{"linux/a/b/c", "", "", true},
	}
	for _, tt := range tests {
		p, err := parsePlatform(tt.in)
		if (err != nil) != tt.wantErr || (tt.arch != "" && (p.Architecture != tt.arch || p.Variant != tt.variant)) {
			t.Errorf("parsePlatform(%q) = %+v, %v", tt.in, p, err)
		}
	}
}
