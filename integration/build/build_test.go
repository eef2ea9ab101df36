package build

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildEveryInstruction builds a Dockerfile using every instruction
// and checks the resulting image config and filesystem.
func TestBuildEveryInstruction(t *testing.T) {
	d := newDaemon(t)
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	_ = tw.WriteHeader(&tar.Header{Name: "inner/", Typeflag: tar.TypeDir, Mode: 0o755})
	_ = tw.WriteHeader(&tar.Header{Name: "inner/x.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("x\n"))
	_ = tw.Close()
	dir := writeContext(t, map[string]string{
		"Dockerfile": `ARG BASE=busybox
FROM ${BASE} AS base
MAINTAINER someone@example.com
ARG GREETING=hello
ENV APP=/app NAME="the app"
LABEL org.example.name="$NAME" version=1
WORKDIR $APP
RUN echo "$GREETING from $(pwd)" > greeting.txt
RUN ["sh", "-c", "echo exec-form > /exec.txt"]
COPY files/a.txt files/b.txt ./copied/
COPY --chown=1000:1000 --chmod=640 files/a.txt /owned.txt
COPY files/*.txt /glob/
COPY files /dir/
ADD files/arch.tar /unpacked/
EXPOSE 8080 53/udp
VOLUME /data
USER 1000
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=5s CMD true
STOPSIGNAL SIGTERM
ONBUILD RUN echo triggered > /tmp/onbuild.txt
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting.txt"]
`,
		"files/a.txt": "A\n",
		"files/b.txt": "B\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "files", "arch.tar"), archive.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := docker(t, d, "build", "-t", "every:1", "--build-arg", "GREETING=hi", "--label", "built-by=test", dir)
	for _, want := range []string{"Step 1/23 : FROM ${BASE} AS base", " ---> Running in ", " ---> Removed intermediate container ", "Successfully built ", "Successfully tagged every:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	if got := docker(t, d, "run", "--rm", "every:1"); got != "hi from /app\n" {
		t.Errorf("run = %q", got)
	}
	var cfg []struct {
		Author string
		Config struct {
			Env          []string
			Labels       map[string]string
			WorkingDir   string
			User         string
			ExposedPorts map[string]struct{}
			Volumes      map[string]struct{}
			Shell        []string
			StopSignal   string
			OnBuild      []string
			Entrypoint   []string
			Cmd          []string
			Healthcheck  struct{ Test []string }
		}
	}
	if err := json.Unmarshal([]byte(docker(t, d, "image", "inspect", "every:1")), &cfg); err != nil || len(cfg) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	c := cfg[0].Config
	checks := map[string]bool{
		"author":     cfg[0].Author == "someone@example.com",
		"env":        strings.Contains(strings.Join(c.Env, ","), "APP=/app") && strings.Contains(strings.Join(c.Env, ","), "NAME=the app"),
		"labels":     c.Labels["org.example.name"] == "the app" && c.Labels["version"] == "1" && c.Labels["built-by"] == "test",
		"workdir":    c.WorkingDir == "/app",
		"user":       c.User == "1000",
		"ports":      len(c.ExposedPorts) == 2,
		"volumes":    len(c.Volumes) == 1,
		"shell":      strings.Join(c.Shell, " ") == "/bin/sh -ec",
		"stopsignal": c.StopSignal == "SIGTERM",
		"onbuild":    len(c.OnBuild) == 1,
		"entrypoint": strings.Join(c.Entrypoint, " ") == "/bin/sh -c",
		"cmd":        strings.Join(c.Cmd, " ") == "cat greeting.txt",
		"health":     strings.Join(c.Healthcheck.Test, " ") == "CMD-SHELL true",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("config %s wrong: %+v (author %q)", name, c, cfg[0].Author)
		}
	}
	files := docker(t, d, "run", "--rm", "--user", "0", "--entrypoint", "sh", "every:1", "-c",
		"cat /exec.txt copied/a.txt copied/b.txt /glob/a.txt /dir/b.txt /unpacked/inner/x.txt; stat -c '%u:%g %a' /owned.txt")
	if want := "exec-form\nA\nB\nA\nB\nx\n1000:1000 640\n"; files != want {
		t.Errorf("files = %q, want %q", files, want)
	}
	// ONBUILD fires in a child build.
	child := writeContext(t, map[string]string{"Dockerfile": "FROM every:1\nRUN cat /tmp/onbuild.txt\n"})
	out = docker(t, d, "build", "-t", "child:1", child)
	if !strings.Contains(out, "# Executing 1 build trigger") || !strings.Contains(out, "triggered") {
		t.Errorf("onbuild: %s", out)
	}
}

// TestBuildCache checks cache hits on a rebuild, a miss after editing a
// copied file (and on the steps after it), --no-cache, and that the cache
// survives a daemon restart.
func TestBuildCache(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo one > /one\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g\n",
		"f.txt":      "v1\n",
	})
	first := docker(t, d, "build", "-t", "cache:1", dir)
	if strings.Contains(first, "Using cache") {
		t.Fatalf("first build used the cache:\n%s", first)
	}
	d.Stop(t)
	d.Start(t)
	again := docker(t, d, "build", "-t", "cache:1", dir)
	if n := strings.Count(again, " ---> Using cache"); n != 3 {
		t.Errorf("rebuild after restart: %d cache hits, want 3:\n%s", n, again)
	}
	// Only the mtime changes: still cached.
	now := time.Now().Add(time.Hour)
	_ = os.Chtimes(filepath.Join(dir, "f.txt"), now, now)
	if n := strings.Count(docker(t, d, "build", dir), " ---> Using cache"); n != 3 {
		t.Errorf("mtime change: %d cache hits, want 3", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	edited := docker(t, d, "build", "-t", "cache:2", dir)
	if n := strings.Count(edited, " ---> Using cache"); n != 1 {
		t.Errorf("after edit: %d cache hits, want 1 (the RUN before COPY):\n%s", n, edited)
	}
	if got := docker(t, d, "run", "--rm", "cache:2", "cat", "/g"); got != "v2\n" {
		t.Errorf("/g = %q", got)
	}
	// A changed build arg misses the RUN that sees it.
	argDir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nARG V=1\nRUN echo $V > /v\n"})
	docker(t, d, "build", "--build-arg", "V=2", argDir)
	if out := docker(t, d, "build", "--build-arg", "V=2", argDir); strings.Count(out, "Using cache") != 2 {
		t.Errorf("same arg: want 2 cache hits:\n%s", out)
	}
	if out := docker(t, d, "build", "--build-arg", "V=3", argDir); strings.Count(out, "Using cache") != 1 {
		t.Errorf("changed arg: want 1 cache hit (ARG):\n%s", out)
	}
	if out := docker(t, d, "build", "--no-cache", dir); strings.Contains(out, "Using cache") {
		t.Errorf("--no-cache used the cache:\n%s", out)
	}
	// builder prune forgets the cache and deletes the untagged step images.
	if out := docker(t, d, "builder", "prune", "-f"); !strings.Contains(out, "Total") {
		t.Errorf("builder prune: %s", out)
	}
	if out := docker(t, d, "build", dir); strings.Contains(out, "Using cache") {
		t.Errorf("cache used after prune:\n%s", out)
	}
	if got := docker(t, d, "run", "--rm", "cache:2", "cat", "/g"); got != "v2\n" {
		t.Errorf("tagged image damaged by prune: /g = %q", got)
	}
}

// TestBuildMultiStage builds only the stages the target needs and copies
// between stages.
func TestBuildMultiStage(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": `FROM busybox AS builder
RUN mkdir -p /out && echo built > /out/artifact
FROM busybox AS unused
RUN echo UNUSED-STAGE-RAN
FROM scratch AS final
COPY --from=builder /out/artifact /artifact
COPY --from=builder /bin/busybox /bin/busybox
FROM busybox AS other
COPY --from=0 /out /copied/
`,
	})
	out := docker(t, d, "build", "--target", "final", "-t", "multi:final", dir)
	if strings.Contains(out, "UNUSED-STAGE-RAN") || strings.Contains(out, "AS other") {
		t.Errorf("stages the target does not need were built:\n%s", out)
	}
	if got := docker(t, d, "run", "--rm", "multi:final", "/bin/busybox", "cat", "/artifact"); got != "built\n" {
		t.Errorf("artifact = %q", got)
	}
	if got := docker(t, d, "run", "--rm", "multi:final", "/bin/busybox", "ls", "/bin"); got != "busybox\n" {
		t.Errorf("scratch stage has busybox's files: %q", got)
	}
	docker(t, d, "build", "-t", "multi:other", dir)
	if got := docker(t, d, "run", "--rm", "multi:other", "cat", "/copied/artifact"); got != "built\n" {
		t.Errorf("COPY --from=0 = %q", got)
	}
	if out := dockerFail(t, d, "build", "--target", "nosuch", dir); !strings.Contains(out, "nosuch") {
		t.Errorf("unknown target: %s", out)
	}
}

// TestBuildFailingRun reports the exit code and the output, and leaves
// no containers behind.
func TestBuildFailingRun(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo before-failing\nRUN echo about-to-fail && exit 7\n"})
	out := dockerFail(t, d, "build", dir)
	for _, want := range []string{"about-to-fail", "The command '/bin/sh -c echo about-to-fail && exit 7' returned a non-zero code: 7"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	quiet := dockerFail(t, d, "build", "-q", dir)
	if !strings.Contains(quiet, "about-to-fail") || !strings.Contains(quiet, "non-zero code: 7") {
		t.Errorf("quiet build error lacks the step output:\n%s", quiet)
	}
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left behind: %s", ps)
	}
}

// TestBuildRunNetwork: RUN --network=none has only loopback; WORKDIR
// creates its directory; --add-host and --ulimit reach RUN containers.
func TestBuildRunNetwork(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nWORKDIR /made/here\nRUN --network=none cat /proc/net/dev > /netdev\n" +
		"RUN grep db /etc/hosts > /hosts; ulimit -n > /nofile\n"})
	docker(t, d, "build", "--add-host", "db:10.0.0.2", "--ulimit", "nofile=100:200", "-t", "net:1", dir)
	got := docker(t, d, "run", "--rm", "net:1", "sh", "-c", "cat /netdev; pwd; ls -d /made/here")
	if strings.Contains(got, "eth0") || !strings.Contains(got, "lo:") || !strings.Contains(got, "/made/here\n/made/here") {
		t.Errorf("got %q", got)
	}
	if got := docker(t, d, "run", "--rm", "net:1", "cat", "/hosts", "/nofile"); !strings.Contains(got, "10.0.0.2") || !strings.HasSuffix(got, "100\n") {
		t.Errorf("--add-host/--ulimit: %q", got)
	}
}

// TestBuildBadInput: syntax errors with line numbers, unknown
// instructions, missing sources, paths outside the context.
func TestBuildBadInput(t *testing.T) {
	d := newDaemon(t)
	cases := []struct {
		name, dockerfile, want string
	}{
		{"unknown instruction", "FROM busybox\nRUN true\nFOO bar\n", "line 3"},
		{"syntax", "FROM busybox\nENV\n", "line 2"},
		{"missing source", "FROM busybox\nCOPY nothere /x\n", "nothere"},
		{"outside context", "FROM busybox\nCOPY ../x /x\n", "outside the build context"},
		{"unknown image", "FROM 127.0.0.1:1/nosuchimage:1\n", "nosuchimage"},
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

// TestBuildSymlinkStaysInContext: a symlink pointing outside the context
// resolves inside it.
func TestBuildSymlinkStaysInContext(t *testing.T) {
	d := newDaemon(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY link /copied\n"})
	if err := os.Symlink(secret, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := d.Run(t, "", dockerCLI, "build", "-t", "sym:1", dir)
	if code == 0 {
		if got := docker(t, d, "run", "--rm", "sym:1", "cat", "/copied"); strings.Contains(got, "host secret") {
			t.Fatalf("COPY read a file outside the context")
		}
	} else if strings.Contains(out+errOut, "host secret") {
		t.Fatalf("host file leaked: %s", out+errOut)
	}
}

// TestBuildDockerignore: ignored files are not in the context.
func TestBuildDockerignore(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile":     "FROM busybox\nCOPY . /ctx/\n",
		".dockerignore":  "*.secret\nbuild/\n!build/keep.txt\n",
		"a.txt":          "a\n",
		"x.secret":       "no\n",
		"build/out.o":    "no\n",
		"build/keep.txt": "keep\n",
	})
	docker(t, d, "build", "-t", "ign:1", dir)
	got := docker(t, d, "run", "--rm", "ign:1", "find", "/ctx", "-type", "f")
	if !strings.Contains(got, "/ctx/a.txt") || !strings.Contains(got, "/ctx/build/keep.txt") ||
		strings.Contains(got, "secret") || strings.Contains(got, "out.o") {
		t.Errorf("context files: %s", got)
	}
}

// TestBuildHeredocs: a RUN heredoc runs as a multi-line script; a COPY
// heredoc writes a file, with variables expanded.
func TestBuildHeredocs(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{"Dockerfile": `FROM busybox
ARG WHO=world
RUN <<EOF
echo one > /h1
echo "two $WHO" > /h2
EOF
COPY <<EOF /greet.txt
hello '$WHO'
EOF
`})
	docker(t, d, "build", "-t", "heredoc:1", dir)
	if got := docker(t, d, "run", "--rm", "heredoc:1", "cat", "/h1", "/h2", "/greet.txt"); got != "one\ntwo world\nhello 'world'\n" {
		t.Errorf("got %q", got)
	}
}

// TestBuildRunMounts: a cache mount keeps its content between builds and
// stays out of the image; a bind mount reads the context.
func TestBuildRunMounts(t *testing.T) {
	d := newDaemon(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nARG N\nRUN --mount=type=cache,target=/cache --mount=type=bind,source=src,target=/src " +
			"sh -c 'echo $N >> /cache/runs; cat /cache/runs > /seen; cat /src/in > /bound'\n",
		"src/in": "from context\n",
	})
	docker(t, d, "build", "--build-arg", "N=1", "-t", "mnt:1", dir)
	docker(t, d, "build", "--build-arg", "N=2", "-t", "mnt:2", dir)
	if got := docker(t, d, "run", "--rm", "mnt:2", "cat", "/seen", "/bound"); got != "1\n2\nfrom context\n" {
		t.Errorf("got %q", got)
	}
	if got := docker(t, d, "run", "--rm", "mnt:2", "sh", "-c", "ls -A /cache /src"); strings.Join(strings.Fields(got), " ") != "/cache: /src:" {
		t.Errorf("mount contents leaked into the image: %q", got)
	}
}

// TestBuildAddURL: ADD fetches a URL (from a server on loopback) without
// extracting it, and checks --checksum.
func TestBuildAddURL(t *testing.T) {
	d := newDaemon(t)
	body := "remote content\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256([]byte(body))
	good := "sha256:" + hex.EncodeToString(sum[:])
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD --checksum=" + good + " " + srv.URL + "/files/data.txt /dl/\n"})
	docker(t, d, "build", "-t", "url:1", dir)
	if got := docker(t, d, "run", "--rm", "url:1", "sh", "-c", "cat /dl/data.txt; stat -c %a /dl/data.txt"); got != body+"600\n" {
		t.Errorf("got %q", got)
	}
	bad := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD --checksum=sha256:" + strings.Repeat("0", 64) + " " + srv.URL + "/x /x\n"})
	if out := dockerFail(t, d, "build", bad); !strings.Contains(out, "digest mismatch") {
		t.Errorf("bad checksum: %s", out)
	}
}

// TestBuildParallelStages: independent stages build at the same time: each
// waits (through a shared cache mount) for the other to have started.
func TestBuildParallelStages(t *testing.T) {
	d := newDaemon(t)
	wait := func(me, other string) string {
		return "RUN --mount=type=cache,id=sync,target=/sync touch /sync/" + me + " && " +
			"for i in $(seq 100); do [ -f /sync/" + other + " ] && echo " + me + " > /" + me + " && exit 0; sleep 0.1; done; exit 1\n"
	}
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox AS a\n" + wait("a", "b") +
		"FROM busybox AS b\n" + wait("b", "a") +
		"FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n"})
	out := docker(t, d, "build", "-t", "par:1", dir)
	if got := docker(t, d, "run", "--rm", "par:1", "cat", "/a", "/b"); got != "a\nb\n" {
		t.Errorf("got %q", got)
	}
	if strings.Index(out, "Step 3/7 : FROM busybox AS b") < strings.Index(out, "Step 2/7") {
		t.Errorf("output not in stage order:\n%s", out)
	}
}
