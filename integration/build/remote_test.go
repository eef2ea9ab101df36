package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
)

// serveFiles serves name → content over HTTP on 127.0.0.1.
func serveFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// contextTar is a tar of name → content.
func contextTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compressWith pipes data through a compressor binary (bzip2, xz).
func compressWith(t *testing.T, data []byte, tool string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed", tool)
	}
	cmd := exec.Command(tool, "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return out
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// berth runs `berth` against d.
func berth(t *testing.T, d *daemon.Daemon, args ...string) (string, int) {
	t.Helper()
	out, errOut, code := d.Run(t, "", daemon.Binary(t), args...)
	return out + errOut, code
}

// requireClean checks that no build left containers or temporary
// directories on disk behind (they are removed in the background once a
// build has answered; the in-memory context kept for the next build is
// not a leftover).
func requireClean(t *testing.T, d *daemon.Daemon) {
	t.Helper()
	if ps := docker(t, d, "ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left behind: %s", ps)
	}
	tmp := filepath.Join(d.Root, "build", "tmp")
	var ents []os.DirEntry
	for range 50 {
		if ents, _ = os.ReadDir(tmp); len(ents) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, e := range ents {
		t.Errorf("temporary build file left behind: %s/%s", tmp, e.Name())
	}
}

// TestBuildRemoteURL builds from a context archive (plain, gzip, bzip2,
// xz) and from a plain Dockerfile served over HTTP: through the docker CLI
// (which downloads the context itself) and through `berth build`, which
// has the daemon fetch it (remote=). Bad URLs fail clearly.
func TestBuildRemoteURL(t *testing.T) {
	d := newDaemon(t)
	raw := contextTar(t, map[string]string{
		"Dockerfile": "FROM busybox\nCOPY hello.txt /hello.txt\nCMD [\"cat\", \"/hello.txt\"]\n",
		"hello.txt":  "hello from a remote context\n",
	})
	url := serveFiles(t, map[string][]byte{
		"ctx.tar":     raw,
		"ctx.tar.gz":  gzipped(t, raw),
		"ctx.tar.bz2": compressWith(t, raw, "bzip2"),
		"ctx.tar.xz":  compressWith(t, raw, "xz"),
		"Dockerfile":  []byte("FROM busybox\nRUN echo built-from-url > /u\nCMD [\"cat\", \"/u\"]\n"),
		"page.html":   []byte("<html><body>not a build context</body></html>\n"),
	})
	docker(t, d, "build", "-t", "remote:cli", url+"/ctx.tar.gz")
	if got := docker(t, d, "run", "--rm", "remote:cli"); got != "hello from a remote context\n" {
		t.Errorf("docker build <tar.gz url>: runs %q", got)
	}
	docker(t, d, "build", "-t", "remote:clidf", url+"/Dockerfile")
	if got := docker(t, d, "run", "--rm", "remote:clidf"); got != "built-from-url\n" {
		t.Errorf("docker build <Dockerfile url>: runs %q", got)
	}
	for _, name := range []string{"ctx.tar", "ctx.tar.gz", "ctx.tar.bz2", "ctx.tar.xz"} {
		tag := "remote:" + strings.ReplaceAll(name, ".", "-")
		if out, code := berth(t, d, "build", "-t", tag, url+"/"+name); code != 0 {
			t.Fatalf("berth build %s: %d\n%s", name, code, out)
		}
		if got := docker(t, d, "run", "--rm", tag); got != "hello from a remote context\n" {
			t.Errorf("berth build %s: runs %q", name, got)
		}
	}
	if out, code := berth(t, d, "build", "-t", "remote:df", url+"/Dockerfile"); code != 0 {
		t.Fatalf("berth build <Dockerfile url>: %d\n%s", code, out)
	}
	if got := docker(t, d, "run", "--rm", "remote:df"); got != "built-from-url\n" {
		t.Errorf("berth build <Dockerfile url>: runs %q", got)
	}
	for _, tc := range []struct{ url, want string }{
		{url + "/missing.tar", "404"},
		{url + "/page.html", "neither a Dockerfile"},
		{"http://127.0.0.1:1/ctx.tar", "unable to download"},
	} {
		out, code := berth(t, d, "build", tc.url)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("berth build %s: exit %d, want an error with %q:\n%s", tc.url, code, tc.want, out)
		}
	}
	requireClean(t, d)
}

// gitServer makes a repository (master: Dockerfile, .dockerignore and
// files; branch feature: a sub/ directory with its own Dockerfile) and
// serves it over git's dumb HTTP protocol on 127.0.0.1. It returns the repository's URL
// and the directory holding repo.git.
func gitServer(t *testing.T) (repoURL, root string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	work, root := t.TempDir(), t.TempDir()
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, content string) {
		p := filepath.Join(work, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(work, "init", "-q", "-b", "master") // the docker CLI defaults to master
	write("Dockerfile", "FROM busybox\nCOPY . /ctx/\nCMD [\"sh\", \"-c\", \"cat /ctx/file.txt; ls -A /ctx\"]\n")
	write("file.txt", "main branch\n")
	write(".dockerignore", ".git\nignored.txt\n")
	write("ignored.txt", "excluded by .dockerignore\n")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "main")
	git(work, "checkout", "-q", "-b", "feature")
	write("sub/Dockerfile", "FROM busybox\nCOPY . /ctx/\nCMD [\"sh\", \"-c\", \"cat /ctx/sub.txt; ls -A /ctx\"]\n")
	write("sub/sub.txt", "feature subdir\n")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "feature")
	git(work, "checkout", "-q", "master")
	git(root, "clone", "-q", "--bare", work, "repo.git")
	git(filepath.Join(root, "repo.git"), "update-server-info")
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	t.Cleanup(srv.Close)
	return srv.URL + "/repo.git", root
}

// gitDaemon serves the repositories under root with `git daemon` (git's
// own protocol, which fetches shallowly) on 127.0.0.1 and returns the
// git:// URL of root.
func gitDaemon(t *testing.T, root string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--base-path="+root, root)
	if err := cmd.Start(); err != nil {
		t.Skipf("git daemon: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "git://" + addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("git daemon did not listen on %s", addr)
	return ""
}

// gitMain is what the image built from gitServer's default branch prints.
const gitMain = "main branch\n.dockerignore\nDockerfile\nfile.txt\n"

// TestBuildRemoteGit builds git contexts (the default branch, and
// #ref:subdir) with the docker CLI (which clones itself) and `berth build`
// (the daemon clones), and fails clearly on a missing ref or subdir.
func TestBuildRemoteGit(t *testing.T) {
	d := newDaemon(t)
	repo, root := gitServer(t)
	docker(t, d, "build", "-t", "git:cli", repo)
	if got := docker(t, d, "run", "--rm", "git:cli"); got != gitMain {
		t.Errorf("docker build <git url>: runs %q", got)
	}
	docker(t, d, "build", "-t", "git:clisub", repo+"#feature:sub")
	if got := docker(t, d, "run", "--rm", "git:clisub"); got != "feature subdir\nDockerfile\nsub.txt\n" {
		t.Errorf("docker build <git url>#feature:sub: runs %q", got)
	}
	if out, code := berth(t, d, "build", "-t", "git:berth", repo); code != 0 {
		t.Fatalf("berth build <git url>: %d\n%s", code, out)
	}
	if got := docker(t, d, "run", "--rm", "git:berth"); got != gitMain {
		t.Errorf("berth build <git url>: runs %q", got)
	}
	if out, code := berth(t, d, "build", "-t", "git:berthsub", repo+"#feature:sub"); code != 0 {
		t.Fatalf("berth build <git url>#feature:sub: %d\n%s", code, out)
	}
	// The daemon's checkout keeps .git at the top only; sub/ has none.
	if got := docker(t, d, "run", "--rm", "git:berthsub"); got != "feature subdir\nDockerfile\nsub.txt\n" {
		t.Errorf("berth build <git url>#feature:sub: runs %q", got)
	}
	// A commit rather than a branch (the dumb protocol fetches everything).
	sha, err := exec.Command("git", "-C", filepath.Join(root, "repo.git"), "rev-parse", "feature").Output()
	if err != nil {
		t.Fatal(err)
	}
	bySHA := repo + "#" + strings.TrimSpace(string(sha)) + ":sub"
	if out, code := berth(t, d, "build", "-t", "git:sha", bySHA); code != 0 {
		t.Fatalf("berth build %s: %d\n%s", bySHA, code, out)
	}
	// git://, where the daemon fetches shallowly.
	daemonURL := gitDaemon(t, root) + "/repo.git"
	gitURL := daemonURL + "#feature:sub"
	docker(t, d, "build", "-t", "git:proto", gitURL)
	for _, u := range []string{gitURL, daemonURL + "#" + strings.TrimSpace(string(sha)) + ":sub"} {
		if out, code := berth(t, d, "build", "-t", "git:proto", u); code != 0 {
			t.Fatalf("berth build %s: %d\n%s", u, code, out)
		}
	}
	if got := docker(t, d, "run", "--rm", "git:proto"); got != "feature subdir\nDockerfile\nsub.txt\n" {
		t.Errorf("berth build %s: runs %q", gitURL, got)
	}
	for _, tc := range []struct{ url, want string }{
		{repo + "#no-such-ref", "no-such-ref"},
		{repo + "#feature:no/such/dir", "not a directory"},
		{strings.Replace(repo, "repo.git", "missing.git", 1), "git fetch failed"},
	} {
		out, code := berth(t, d, "build", tc.url)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("berth build %s: exit %d, want an error with %q:\n%s", tc.url, code, tc.want, out)
		}
	}
	requireClean(t, d)
}

// TestBuildAddGit: ADD <git url>#ref:subdir copies the checkout (without
// .git unless --keep-git-dir); --checksum is refused for git sources.
func TestBuildAddGit(t *testing.T) {
	d := newDaemon(t)
	repo, _ := gitServer(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nADD " + repo + "#feature:sub /src/\nADD --keep-git-dir=true " + repo + " /full\n" +
			"CMD [\"sh\", \"-c\", \"cat /src/sub.txt; ls -A /src; cat /full/file.txt; test -d /full/.git && echo has-git\"]\n",
	})
	docker(t, d, "build", "-t", "addgit:1", dir)
	want := "feature subdir\nDockerfile\nsub.txt\nmain branch\nhas-git\n"
	if got := docker(t, d, "run", "--rm", "addgit:1"); got != want {
		t.Errorf("ADD <git>: runs %q, want %q", got, want)
	}
	again := docker(t, d, "build", "-t", "addgit:1", dir)
	if strings.Count(again, " ---> Using cache") != 3 {
		t.Errorf("rebuild: ADD <git> did not use the cache:\n%s", again)
	}
	bad := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d " + repo + " /src\n",
	})
	if out := dockerFail(t, d, "build", bad); !strings.Contains(out, "checksum requires HTTP(S) sources") {
		t.Errorf("ADD --checksum <git>: %s", out)
	}
	missing := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD " + repo + "#no-such-ref /src\n"})
	if out := dockerFail(t, d, "build", missing); !strings.Contains(out, "no-such-ref") {
		t.Errorf("ADD <git>#no-such-ref: %s", out)
	}
	requireClean(t, d)
}
