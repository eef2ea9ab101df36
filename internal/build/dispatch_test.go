package build

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func TestBuildConfig(t *testing.T) {
	f := newFake()
	img, out, err := fakeBuild(t, f, memCache{}, map[string]string{"Dockerfile": `FROM busybox
MAINTAINER me
ARG V=1
ENV A=$V B="x y"
LABEL l=$A
WORKDIR rel
WORKDIR sub
USER 10:10
EXPOSE 80 90-91/udp
VOLUME ["/data"]
STOPSIGNAL SIGINT
SHELL ["/bin/bash", "-c"]
CMD echo hi
ENTRYPOINT ["/e"]
HEALTHCHECK CMD true
ONBUILD RUN x
`}, Options{BuildArgs: map[string]*string{"V": ptr("2"), "UNUSED": ptr("u")}, Tags: []string{"t:1"}})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	c := img.Config.Config
	checks := []struct {
		name string
		ok   bool
	}{
		{"author", img.Config.Author == "me"},
		{"env", slices.Equal(c.Env, []string{"A=2", "B=x y"})},
		{"label", c.Labels["l"] == "2"},
		{"workdir", c.WorkingDir == "/rel/sub"},
		{"user", c.User == "10:10"},
		{"ports", len(c.ExposedPorts) == 3},
		{"volume", len(c.Volumes) == 1},
		{"stopsignal", c.StopSignal == "SIGINT"},
		{"shell", slices.Equal(c.Shell, []string{"/bin/bash", "-c"})},
		{"cmd (kept: set in this stage)", slices.Equal(c.Cmd, []string{"/bin/bash", "-c", "echo hi"})},
		{"entrypoint", slices.Equal(c.Entrypoint, []string{"/e"})},
		{"healthcheck", c.Healthcheck != nil && c.Healthcheck.Test[0] == "CMD-SHELL"},
		{"onbuild", slices.Equal(c.OnBuild, []string{"RUN x"})},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("%s wrong: %+v", ck.name, c)
		}
	}
	for _, want := range []string{"Step 1/16 : FROM busybox", "Step 16/16 : ONBUILD RUN x", "[Warning] One or more build-args [UNUSED] were not consumed", "Successfully tagged t:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if f.tags["t:1"] != img.ID.String() {
		t.Error("not tagged")
	}
}

func TestBuildCacheHits(t *testing.T) {
	f, cache := newFake(), memCache{}
	files := map[string]string{"Dockerfile": "FROM busybox\nRUN one\nCOPY a /a\nRUN two\n", "a": "A"}
	first, _, err := fakeBuild(t, f, cache, files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, out, err := fakeBuild(t, f, cache, files, Options{})
	if err != nil || again.ID != first.ID || strings.Count(out, "Using cache") != 3 {
		t.Fatalf("rebuild: %v, same image %v\n%s", err, again.ID == first.ID, out)
	}
	files["a"] = "B"
	_, out, _ = fakeBuild(t, f, cache, files, Options{})
	if strings.Count(out, "Using cache") != 1 {
		t.Errorf("after editing a: want 1 hit\n%s", out)
	}
	_, out, _ = fakeBuild(t, f, cache, files, Options{NoCache: true})
	if strings.Contains(out, "Using cache") {
		t.Errorf("nocache hit the cache\n%s", out)
	}
	if len(f.ran) != 5 || f.ran[0] != "/bin/sh -c one" {
		t.Errorf("ran %q", f.ran)
	}
}

func TestBuildStages(t *testing.T) {
	f := newFake()
	df := "FROM busybox AS a\nRUN in-a\nFROM busybox AS unused\nRUN in-unused\nFROM a AS b\nCOPY x /x\nRUN in-b\n"
	_, out, err := fakeBuild(t, f, nil, map[string]string{"Dockerfile": df, "x": "x"}, Options{Target: "B"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !slices.Equal(f.ran, []string{"/bin/sh -c in-a", "/bin/sh -c in-b"}) || !strings.Contains(out, "Step 5/5") {
		t.Errorf("ran %q\n%s", f.ran, out)
	}
	if !slices.Contains(f.put, "x") {
		t.Errorf("put %q", f.put)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name, dockerfile string
		opts             Options
		is               error
		want             string
	}{
		{name: "parse", dockerfile: "FROM busybox\nNOPE x\n", is: errdefs.ErrInvalidArgument, want: "line 2"},
		{name: "outside", dockerfile: "FROM busybox\nCOPY ../x /x\n", is: errdefs.ErrInvalidArgument, want: "outside the build context"},
		{name: "missing", dockerfile: "FROM busybox\nCOPY nope /x\n", is: errdefs.ErrNotFound, want: "nope"},
		{name: "target", dockerfile: "FROM busybox\n", opts: Options{Target: "x"}, is: errdefs.ErrInvalidArgument, want: "target x"},
		{name: "many sources", dockerfile: "FROM busybox\nCOPY a b /x\n", is: errdefs.ErrInvalidArgument, want: "end with a /"},
		{name: "ssh mount", dockerfile: "FROM busybox\nRUN --mount=type=ssh true\n", is: errdefs.ErrNotImplemented},
		{name: "required secret", dockerfile: "FROM busybox\nRUN --mount=type=secret,id=x,required true\n", is: errdefs.ErrInvalidArgument, want: "secret x"},
		{name: "image", dockerfile: "FROM nothere\n", is: errdefs.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"Dockerfile": tc.dockerfile, "a": "a", "b": "b"}
			_, out, err := fakeBuild(t, newFake(), nil, files, tc.opts)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %v containing %q\n%s", err, tc.is, tc.want, out)
			}
		})
	}
}

func TestBuildFailingRunRemovesContainer(t *testing.T) {
	f := newFake()
	f.exit = func(cmd string) int {
		if strings.Contains(cmd, "fail") {
			return 3
		}
		return 0
	}
	_, out, err := fakeBuild(t, f, nil, map[string]string{"Dockerfile": "FROM busybox\nRUN ok\nRUN fail\n"}, Options{Remove: true})
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 3 || exit.Cmd != "/bin/sh -c fail" {
		t.Fatalf("err = %v", err)
	}
	if len(f.live) != 0 || strings.Count(out, "Removed intermediate container") != 2 {
		t.Errorf("containers left: %d\n%s", len(f.live), out)
	}
}

func ptr(s string) *string { return &s }
