package build

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestBuildParallelStages: independent stages run at the same time (each
// RUN waits for the other to start), yet the output reads as a
// sequential build.
func TestBuildParallelStages(t *testing.T) {
	f := newFake()
	var started sync.WaitGroup
	started.Add(2)
	f.run = func(cmd string) {
		if strings.Contains(cmd, "wait-for-other") {
			started.Done()
			ch := make(chan struct{})
			go func() { started.Wait(); close(ch) }()
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Error("stages did not run in parallel")
			}
		}
	}
	f.exit = func(string) int { return 0 }
	df := "FROM busybox AS a\nRUN wait-for-other a\nFROM busybox AS b\nRUN wait-for-other b\nFROM busybox\nENV X=1\n"
	// The last stage uses neither, but --target is the last: only it is needed.
	df += "FROM busybox\nCOPY --from=a /x /a\nCOPY --from=b /x /b\n"
	_, out, err := fakeBuild(t, f, memCache{}, map[string]string{"Dockerfile": df}, Options{})
	if err == nil {
		t.Fatal("COPY --from of a missing path succeeded in the fake")
	}
	idx := func(s string) int { return strings.Index(out, s) }
	if !(idx("Step 1/7 : FROM busybox AS a") < idx("ran /bin/sh -c wait-for-other a") &&
		idx("ran /bin/sh -c wait-for-other a") < idx("Step 3/7 : FROM busybox AS b") &&
		idx("Step 3/7") < idx("ran /bin/sh -c wait-for-other b") && idx("ran /bin/sh -c wait-for-other b") < idx("Step 5/7")) {
		t.Errorf("output is not in stage order:\n%s", out)
	}
	if strings.Contains(out, "ENV X=1") {
		t.Errorf("an unneeded stage was built:\n%s", out)
	}
}

// TestBuildCacheCap: past the cap, the least recently used step images
// go; the tagged result stays.
func TestBuildCacheCap(t *testing.T) {
	f, cache := newFake(), memCache{}
	big := strings.Repeat("x", 4096)
	old := map[string]string{"Dockerfile": "FROM busybox\nCOPY a /a\n", "a": big}
	if _, _, err := fakeBuild(t, f, cache, old, Options{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	cur := map[string]string{"Dockerfile": "FROM busybox\nCOPY b /b\n", "b": big}
	img, _, err := fakeBuild(t, f, cache, cur, Options{Tags: []string{"cur"}}, WithCacheCap(1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(cache) != 1 {
		t.Fatalf("cache has %d entries, want 1 (the tagged build's)", len(cache))
	}
	if _, err := f.Image(context.Background(), img.ID.String()); err != nil {
		t.Error("the tagged image was deleted")
	}
	if _, out, _ := fakeBuild(t, f, cache, old, Options{}); strings.Contains(out, "Using cache") {
		t.Errorf("evicted step still cached:\n%s", out)
	}
}
