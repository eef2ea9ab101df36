package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// TestBuildBindFromStage: RUN --mount=type=bind,from= reads another
// stage's files (the whole stage, a directory, a single file) or an
// image's, read-only by default; with rw the command may write there but
// the writes reach neither the source stage nor the image. The stage it
// uses builds first, in parallel with the independent ones.
func TestBuildBindFromStage(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": `FROM busybox AS tools
RUN mkdir -p /out/sub && echo tool > /out/tool.txt && echo deep > /out/sub/deep.txt && chmod 0750 /out/sub
FROM busybox AS unrelated
RUN echo independent > /ind
FROM busybox
RUN --mount=type=bind,from=tools,source=/out,target=/mnt cat /mnt/tool.txt /mnt/sub/deep.txt > /seen && stat -c %a /mnt/sub >> /seen
RUN --mount=type=bind,from=tools,source=/out/tool.txt,target=/one.txt cp /one.txt /copied
RUN --mount=type=bind,from=tools,target=/root-of-tools ls /root-of-tools/out > /listing
RUN --mount=type=bind,from=tools,source=/out,target=/ro sh -c 'if touch /ro/x 2>/dev/null; then echo writable; else echo read-only; fi' > /ro-result
RUN --mount=type=bind,from=tools,source=/out,target=/rw,rw sh -c 'echo scribble > /rw/tool.txt && cat /rw/tool.txt' > /rw-result
RUN --mount=type=bind,from=busybox,source=/bin,target=/bb /bb/busybox true && echo image-bind > /img
COPY --from=tools /out/tool.txt /after-rw.txt
COPY --from=unrelated /ind /ind
`,
	})
	out := docker(t, d, "build", "-t", "bindfrom:1", dir)
	got := docker(t, d, "run", "--rm", "bindfrom:1", "cat", "/seen", "/copied", "/listing", "/ro-result", "/rw-result", "/img", "/after-rw.txt", "/ind")
	want := "tool\ndeep\n750\ntool\nsub\ntool.txt\nread-only\nscribble\nimage-bind\ntool\nindependent\n"
	if got != want {
		t.Errorf("files = %q, want %q\nbuild output:\n%s", got, want, out)
	}
	if got := docker(t, d, "run", "--rm", "bindfrom:1", "sh", "-c", "ls -A /mnt /rw /ro 2>&1; ls /one.txt 2>&1"); strings.Contains(got, "tool.txt") {
		t.Errorf("mounted files leaked into the image: %q", got)
	}
	// Unchanged: every step is cached; a change in the used stage is a miss.
	out = docker(t, d, "build", "-t", "bindfrom:1", dir)
	if n := strings.Count(out, " ---> Using cache"); n != 10 {
		t.Errorf("rebuild used the cache %d times, want 10:\n%s", n, out)
	}
	changed := writeContext(t, map[string]string{"Dockerfile": strings.Replace(readFile(t, dir, "Dockerfile"), "echo tool", "echo tool2", 1)})
	docker(t, d, "build", "-t", "bindfrom:2", changed)
	if got := docker(t, d, "run", "--rm", "bindfrom:2", "head", "-1", "/seen"); got != "tool2\n" {
		t.Errorf("after changing the stage: %q", got)
	}
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left behind: %s", ps)
	}
}

// TestBuildBindFromBadInput: unknown stages, stages defined later, missing
// sources.
func TestBuildBindFromBadInput(t *testing.T) {
	d := newDaemon(t)
	cases := []struct {
		name, dockerfile, want string
	}{
		{"unknown stage", "FROM busybox\nRUN --mount=type=bind,from=NoSuchStage,target=/x true\n", "NoSuchStage"},
		{"later stage", "FROM busybox AS a\nRUN --mount=type=bind,from=b,target=/x true\nFROM busybox AS b\nFROM busybox\nCOPY --from=a /bin/sh /x\n", `uses stage "b", which is not defined before it`},
		{"itself", "FROM busybox AS a\nRUN --mount=type=bind,from=a,target=/x true\n", "not defined before it"},
		{"missing source", "FROM busybox AS a\nFROM busybox\nRUN --mount=type=bind,from=a,source=/nothere,target=/x true\n", "/nothere"},
		{"copy from unknown stage", "FROM busybox\nCOPY --from=NoSuchStage /x /x\n", "NoSuchStage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": tc.dockerfile})
			if out := dockerFail(t, d, "build", dir); !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left behind: %s", ps)
	}
}

// TestBuildCopyFromWildcards: COPY --from expands wildcards in the source
// stage as COPY does in the context: files go into the destination
// directory, a matched directory's content is copied, several matches need
// a destination ending in /, no match is an error.
func TestBuildCopyFromWildcards(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": `FROM busybox AS b
RUN mkdir -p /out/libs/x /out/plugins && cd /out && echo a > liba.so && echo b > libb.so && echo no > notes.txt \
 && echo x > libs/x/libx.so && echo p > plugins/p1.so && ln -s liba.so /out/link.so
FROM busybox
COPY --from=b /out/*.so /lib/
COPY --from=b /out/lib?.so /single/
COPY --from=b /out/libs* /dirs/
COPY --from=b out/*/p1.so /nested/
COPY --from=b /out/liba.* /one.so
`,
	})
	docker(t, d, "build", "-t", "wild:1", dir)
	got := docker(t, d, "run", "--rm", "wild:1", "sh", "-c",
		"ls /lib | grep '\\.so$'; echo --; ls /single; echo --; ls -R /dirs; echo --; ls /nested; cat /one.so; cat /lib/link.so")
	want := "liba.so\nlibb.so\nlink.so\n--\nliba.so\nlibb.so\n--\n/dirs:\nx\n\n/dirs/x:\nlibx.so\n--\np1.so\na\na\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Cached when unchanged.
	if out := docker(t, d, "build", "-t", "wild:1", dir); strings.Count(out, " ---> Using cache") != 6 {
		t.Errorf("rebuild not cached:\n%s", out)
	}
	bad := []struct{ name, line, want string }{
		{"no match", "COPY --from=b /out/*.dll /lib/", "no source files were specified"},
		{"no match in missing dir", "COPY --from=b /nodir/*.so /lib/", "no source files were specified"},
		{"several to a file", "COPY --from=b /out/*.so /lib", "must be a directory and end with a /"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox AS b\nRUN mkdir /out && touch /out/a.so /out/b.so\nFROM busybox\n" + tc.line + "\n"})
			if out := dockerFail(t, d, "build", ctx); !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left behind: %s", ps)
	}
}

// TestBerthBuildFromStage: the same through `berth build`.
func TestBerthBuildFromStage(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox AS b\nRUN mkdir /out && echo one > /out/1.so && echo two > /out/2.so\n" +
			"FROM busybox\nCOPY --from=b /out/*.so /lib/\nRUN --mount=type=bind,from=b,source=/out,target=/m cat /m/1.so > /bound\n",
	})
	berth := daemon.Binary(t)
	if out, errOut, code := d.Run(t, "", berth, "build", "-t", "bfrom:1", dir); code != 0 {
		t.Fatalf("berth build: %d\n%s\n%s", code, out, errOut)
	}
	if got := docker(t, d, "run", "--rm", "bfrom:1", "cat", "/lib/1.so", "/lib/2.so", "/bound"); got != "one\ntwo\none\n" {
		t.Errorf("got %q", got)
	}
	for _, tc := range []struct{ dockerfile, want string }{
		{"FROM busybox\nRUN --mount=type=bind,from=Missing,target=/m true\n", "Missing"},
		{"FROM busybox AS b\nFROM busybox\nCOPY --from=b /bin/*.nothing /x/\n", "no source files were specified"},
	} {
		bad := writeContext(t, map[string]string{"Dockerfile": tc.dockerfile})
		out, errOut, code := d.Run(t, "", berth, "build", bad)
		if code == 0 || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("berth build, want failure with %q: %d\n%s\n%s", tc.want, code, out, errOut)
		}
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBuildBindFromParallel: stages used only through RUN --mount from=
// build in parallel (each waits, through a shared cache mount, for the
// other to have started) before the stage that mounts them.
func TestBuildBindFromParallel(t *testing.T) {
	d := newDaemon(t)
	wait := func(me, other string) string {
		return "RUN --mount=type=cache,id=bindsync,target=/sync touch /sync/" + me + " && " +
			"for i in $(seq 100); do [ -f /sync/" + other + " ] && echo " + me + " > /" + me + " && exit 0; sleep 0.1; done; exit 1\n"
	}
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox AS a\n" + wait("a", "b") +
		"FROM busybox AS b\n" + wait("b", "a") +
		"FROM busybox\nRUN --mount=type=bind,from=a,source=/a,target=/ma --mount=type=bind,from=b,source=/b,target=/mb cat /ma /mb > /both\n"})
	docker(t, d, "build", "-t", "bindpar:1", dir)
	if got := docker(t, d, "run", "--rm", "bindpar:1", "cat", "/both"); got != "a\nb\n" {
		t.Errorf("got %q", got)
	}
}
