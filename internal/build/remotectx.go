package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/buildcontext"
	"github.com/containerd/errdefs"
)

// Limits on remote contexts (remote=<url>).
const (
	maxRemoteContext    = 4 << 30  // bytes of a downloaded context archive
	maxRemoteDockerfile = 16 << 20 // bytes of a downloaded Dockerfile
	remoteTimeout       = 30 * time.Minute
)

// remoteClient fetches remote contexts: bounded connection and header
// waits, a bound on the whole download.
var remoteClient = &http.Client{
	Timeout: remoteTimeout,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: time.Minute,
	},
}

// contextDir makes the build's context directory: from the request body
// (a tar archive), or from opts.Remote. It checks the request's platform
// first, so that a bad request fails before anything is fetched.
func (b *Builder) contextDir(ctx context.Context, body io.Reader, opts Options) (string, error) {
	if _, err := targetPlatform(opts.Platform); err != nil {
		return "", err
	}
	switch r := opts.Remote; {
	case r == "":
		return b.unpack(ctx, body)
	case isGitURL(r):
		return b.gitContext(ctx, r, opts.Dockerfile)
	case isHTTPURL(r):
		return b.urlContext(ctx, r, opts.Dockerfile)
	default:
		return "", fmt.Errorf("remote context %q could not be recognized as a git or http(s) URL: %w", r, errdefs.ErrInvalidArgument)
	}
}

// gitContext clones the repository and receives #ref:subdir of it as
// the context, without what its .dockerignore excludes (what the docker
// CLI sends for a git URL it clones itself).
func (b *Builder) gitContext(ctx context.Context, raw, dockerfile string) (string, error) {
	g, err := parseGitURL(raw)
	if err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(b.tmp, "git-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	sub, err := clone(ctx, g, filepath.Join(work, "repo"), true)
	if err != nil {
		return "", fmt.Errorf("unable to prepare context: %w", err)
	}
	excludes, err := buildcontext.ReadDockerignore(sub)
	if err != nil {
		return "", fmt.Errorf("unable to prepare context: %w", err)
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(buildcontext.Tar(sub, dockerfile, excludes, pw)) }()
	dir, err := b.unpack(ctx, pr)
	pr.CloseWithError(err)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("unable to prepare context: %w", err)
	}
	return dir, nil
}

// urlContext downloads a tar archive (plain or compressed) or, when the
// server says it is text, a Dockerfile (Docker's rule: a text/plain body
// is the Dockerfile of an otherwise empty context).
func (b *Builder) urlContext(ctx context.Context, raw, dockerfile string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return "", fmt.Errorf("remote context %s: %v: %w", raw, err, errdefs.ErrInvalidArgument)
	}
	resp, err := remoteClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("unable to download remote context %s: %v: %w", raw, unwrapURLError(err), errdefs.ErrInvalidArgument)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("failed to GET %s with status %s: %s: %w", raw, resp.Status, strings.TrimSpace(string(snippet)), errdefs.ErrInvalidArgument)
	}
	body := &limitReader{r: resp.Body, n: maxRemoteContext, what: "remote context " + raw}
	kind, r, err := sniff(resp.Header.Get("Content-Type"), body)
	if err != nil {
		return "", fmt.Errorf("remote context %s: %w", raw, err)
	}
	if kind == "text/plain" {
		if r, err = dockerfileTar(r, dockerfile); err != nil {
			return "", fmt.Errorf("remote context %s: %w", raw, err)
		}
	}
	dir, err := b.unpack(ctx, r)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("remote context %s is neither a Dockerfile (text/plain) nor a tar archive (plain, gzip, bzip2 or xz): %w", raw, err)
	}
	return dir, nil
}

// sniff returns the body's media type: the server's, or detected from the
// first bytes when the server gave none or application/octet-stream.
func sniff(contentType string, r io.Reader) (string, io.Reader, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if n == 0 {
		if err == io.EOF {
			return "", nil, fmt.Errorf("empty response: %w", errdefs.ErrInvalidArgument)
		}
		return "", nil, err
	}
	head = head[:n]
	r = io.MultiReader(bytes.NewReader(head), r)
	if contentType == "" || strings.HasPrefix(contentType, "application/octet-stream") {
		contentType = http.DetectContentType(head)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", nil, fmt.Errorf("bad content type %q: %w", contentType, errdefs.ErrInvalidArgument)
	}
	return mt, r, nil
}

// dockerfileTar is a context holding only the Dockerfile read from r.
func dockerfileTar(r io.Reader, name string) (io.Reader, error) {
	if name == "" {
		name = "Dockerfile"
	}
	data, err := io.ReadAll(io.LimitReader(r, maxRemoteDockerfile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRemoteDockerfile {
		return nil, fmt.Errorf("Dockerfile larger than %d bytes: %w", maxRemoteDockerfile, errdefs.ErrInvalidArgument)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: filepath.ToSlash(filepath.Clean(name)), Mode: 0o600, Size: int64(len(data)), ModTime: time.Now()}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("Dockerfile name %q: %v: %w", name, err, errdefs.ErrInvalidArgument)
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	return &buf, tw.Close()
}

// limitReader fails once more than n bytes were read.
type limitReader struct {
	r    io.Reader
	n    int64
	what string
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("%s is larger than %d bytes: %w", l.what, int64(maxRemoteContext), errdefs.ErrInvalidArgument)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// unwrapURLError drops net/url's "Get <url>:" prefix (the URL is said
// once already).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
