package build

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// download fetches an ADD <url> source into the build's private
// directory, checking --checksum when given. The file keeps the URL's
// base name, mode 0600 and the Last-Modified time, as with Docker.
func (j *job) download(ctx context.Context, rawURL, checksum string) (source, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return source{}, fmt.Errorf("ADD %s: only http and https URLs are supported: %w", rawURL, errdefs.ErrNotImplemented)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return source{}, fmt.Errorf("ADD %s: %v: %w", rawURL, err, errdefs.ErrInvalidArgument)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return source{}, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return source{}, fmt.Errorf("ADD %s: server answered %s: %w", rawURL, resp.Status, errdefs.ErrNotFound)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "download"
	}
	dir := filepath.Join(j.dir+".downloads", fmt.Sprint(j.downloads.Add(1)))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return source{}, err
	}
	p := filepath.Join(dir, name)
	if err := writeDownload(p, resp.Body, checksum); err != nil {
		return source{}, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		_ = os.Chtimes(p, lm, lm)
	}
	return source{rel: name, host: p, remote: true}, nil
}

func writeDownload(p string, r io.Reader, checksum string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	d := digest.SHA256.Digester()
	if _, err := io.Copy(io.MultiWriter(f, d.Hash()), r); err != nil {
		return err
	}
	if checksum != "" {
		want, err := digest.Parse(checksum)
		if err != nil {
			return fmt.Errorf("invalid checksum %q: %v: %w", checksum, err, errdefs.ErrInvalidArgument)
		}
		if want.Algorithm() != digest.SHA256 {
			return fmt.Errorf("unsupported checksum algorithm %s: %w", want.Algorithm(), errdefs.ErrInvalidArgument)
		}
		if got := d.Digest(); got != want {
			return fmt.Errorf("digest mismatch %s: %s: %w", got, want, errdefs.ErrInvalidArgument)
		}
	}
	return f.Chmod(0o600)
}
