package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// gitTimeout bounds a clone (remote context or ADD <git>).
const gitTimeout = 10 * time.Minute

// gitRef is a git repository as a build context or ADD source: the URL
// git fetches, the ref to check out ("" for the remote's HEAD) and the
// directory in it to use ("" for the top).
type gitRef struct {
	url, ref, subdir string
}

var gitSuffix = regexp.MustCompile(`\.git(?:#.+)?$`)

// isGitURL reports whether s names a git repository the way Docker's
// classic builder (and the docker CLI) reads a context: an http(s) URL
// ending in .git (before a #fragment), or git://, git@ or github.com/.
func isGitURL(s string) bool {
	if isHTTPURL(s) && gitSuffix.MatchString(s) {
		return true
	}
	for _, p := range []string{"git://", "git@", "github.com/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// parseGitURL splits url#ref:subdir. github.com/… gets https://.
func parseGitURL(s string) (gitRef, error) {
	bad := func(why string) (gitRef, error) {
		return gitRef{}, fmt.Errorf("invalid git URL %q: %s: %w", s, why, errdefs.ErrInvalidArgument)
	}
	if strings.HasPrefix(s, "github.com/") {
		s = "https://" + s
	}
	var g gitRef
	var fragment string
	if strings.HasPrefix(s, "git@") {
		g.url, fragment, _ = strings.Cut(s, "#")
	} else {
		u, err := url.Parse(s)
		if err != nil {
			return bad(err.Error())
		}
		switch u.Scheme {
		case "http", "https", "git", "ssh":
		default:
			return bad("unsupported scheme " + u.Scheme)
		}
		fragment, u.Fragment, u.RawFragment = u.Fragment, "", ""
		g.url = u.String()
	}
	g.ref, g.subdir, _ = strings.Cut(fragment, ":")
	if strings.HasPrefix(g.url, "-") || strings.HasPrefix(g.ref, "-") {
		return bad("must not start with -")
	}
	if strings.ContainsAny(g.ref, " \t\n\\~^?*[") || strings.Contains(g.ref, "..") {
		return bad("invalid ref " + g.ref)
	}
	if g.subdir != "" {
		clean := path.Clean("/" + g.subdir)
		if clean == "/" {
			g.subdir = ""
		} else {
			g.subdir = strings.TrimPrefix(clean, "/")
		}
	}
	return g, nil
}

// errNoGit is returned when the daemon's host has no git binary.
var errNoGit = fmt.Errorf("git is not installed on the daemon's host (needed for git build contexts and ADD of a git repository): %w", errdefs.ErrInvalidArgument)

// clone checks g.ref out into dir (which must not exist) and returns the
// directory of g.subdir in it. keepGitDir keeps .git (the default for
// contexts, as Docker does); otherwise it is removed.
func clone(ctx context.Context, g gitRef, dir string, keepGitDir bool) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", errNoGit
	}
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	// git's HOME: empty, next to the checkout (so in a directory the
	// build removes, and a restarted daemon too).
	home := dir + ".home"
	if err := os.Mkdir(home, 0o700); err != nil {
		return "", err
	}
	defer os.RemoveAll(home)
	gr := gitRunner{dir: dir, home: home}
	if _, err := gr.run(ctx, "init", "-q", dir); err != nil {
		return "", err
	}
	if _, err := gr.run(ctx, "remote", "add", "origin", g.url); err != nil {
		return "", err
	}
	if err := gr.fetch(ctx, g); err != nil {
		return "", err
	}
	if _, err := gr.run(ctx, "checkout", "-q", "FETCH_HEAD"); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, ".gitmodules")); err == nil {
		if _, err := gr.run(ctx, "submodule", "update", "--init", "--recursive", "--depth=1"); err != nil {
			return "", err
		}
	}
	if !keepGitDir {
		if err := os.RemoveAll(filepath.Join(dir, ".git")); err != nil {
			return "", err
		}
	}
	if err := checkSize(dir, maxRemoteContext); err != nil {
		return "", fmt.Errorf("repository %s: %w", g.url, err)
	}
	return subdir(dir, g)
}

// checkSize fails when the files under dir add up to more than max bytes.
func checkSize(dir string, max int64) error {
	var total int64
	return filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if total += fi.Size(); total > max {
			return fmt.Errorf("larger than %d bytes: %w", max, errdefs.ErrInvalidArgument)
		}
		return nil
	})
}

// subdir resolves g.subdir inside the checkout (symlinks stay inside).
func subdir(dir string, g gitRef) (string, error) {
	if g.subdir == "" {
		return dir, nil
	}
	p, err := securejoin.SecureJoin(dir, g.subdir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.IsDir() {
		return "", fmt.Errorf("error setting git context, %s is not a directory in %s: %w", g.subdir, g.url, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// fetch fetches the ref shallowly, and in full when the server cannot
// (dumb http, or a commit the server does not advertise).
func (gr gitRunner) fetch(ctx context.Context, g gitRef) error {
	ref := g.ref
	if ref == "" {
		ref = "HEAD"
	}
	if _, err := gr.run(ctx, "fetch", "-q", "--depth", "1", "origin", "--", ref); err == nil {
		return nil
	} else if ctx.Err() != nil {
		return err
	}
	_, err := gr.run(ctx, "fetch", "-q", "origin", "--", ref)
	if err == nil || !isCommitSHA(ref) {
		return err
	}
	// A commit not at the tip of any ref: fetch everything, then use it.
	if _, err := gr.run(ctx, "fetch", "-q", "origin", "--", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"); err != nil {
		return err
	}
	_, err = gr.run(ctx, "update-ref", "FETCH_HEAD", ref)
	return err
}

var commitSHA = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

func isCommitSHA(s string) bool { return commitSHA.MatchString(s) }

// gitRunner runs git in dir, isolated from the host's git configuration
// and credentials, never prompting, with local-file and ext transports
// off (a repository's submodules must not read the daemon's files).
type gitRunner struct{ dir, home string }

func (gr gitRunner) run(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"-c", "protocol.file.allow=never", "-c", "protocol.ext.allow=never", "-C", gr.dir}, args...)
	if args[0] == "init" {
		full = append([]string{"-c", "init.defaultBranch=main"}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = []string{"HOME=" + gr.home, "PATH=" + os.Getenv("PATH"), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_ASKPASS=/bin/true", "GIT_SSH_COMMAND=ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new"}
	for _, k := range proxyArgs { // the daemon's proxy settings, if any
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if args[0] == "init" {
		cmd.Dir = filepath.Dir(gr.dir)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", args[0], errors.Join(ctx.Err(), errdefs.ErrUnavailable))
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s failed: %s: %w", args[0], msg, errdefs.ErrInvalidArgument)
	}
	return string(out), nil
}
