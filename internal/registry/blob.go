package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// ManifestAccept lists the manifest media types Berth understands.
var ManifestAccept = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}

// maxManifest bounds manifest bodies (the distribution spec allows 4 MiB).
const maxManifest = 4 << 20

// Manifest fetches the manifest ref (a tag or a digest) and returns its
// bytes, media type and digest. A digest reference is verified.
func (s *Session) Manifest(ctx context.Context, ref string) ([]byte, string, digest.Digest, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("manifests", ref), nil)
	if err != nil {
		return nil, "", "", err
	}
	req.Header.Set("Accept", strings.Join(ManifestAccept, ", "))
	resp, err := s.do(req, target{ref: s.refString(ref)}, http.StatusOK)
	if err != nil {
		return nil, "", "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
	if err != nil {
		return nil, "", "", classify(err, target{repo: s.repo.Name()})
	}
	if len(raw) > maxManifest {
		return nil, "", "", fmt.Errorf("manifest %s is larger than %d bytes: %w", ref, maxManifest, errdefs.ErrInvalidArgument)
	}
	dgst := digest.FromBytes(raw)
	if want, err := digest.Parse(ref); err == nil && want != dgst {
		return nil, "", "", fmt.Errorf("manifest %s: digest mismatch, got %s: %w", ref, dgst, errdefs.ErrDataLoss)
	}
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return raw, strings.TrimSpace(mt), dgst, nil
}

func (s *Session) refString(ref string) string {
	if _, err := digest.Parse(ref); err == nil {
		return s.repo.Name() + "@" + ref
	}
	return s.repo.Name() + ":" + ref
}

// Blob opens blob d from offset (HTTP range when offset > 0) and returns
// the body and the total blob size (-1 if the registry did not say).
// The caller verifies the digest.
func (s *Session) Blob(ctx context.Context, d digest.Digest, offset int64) (io.ReadCloser, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("blobs", d.String()), nil)
	if err != nil {
		return nil, 0, err
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := s.do(req, target{}, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, 0, err
	}
	size := resp.ContentLength
	switch {
	case offset > 0 && resp.StatusCode == http.StatusOK:
		// No range support: skip what we have.
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			resp.Body.Close()
			return nil, 0, classify(err, target{repo: s.repo.Name()})
		}
	case resp.StatusCode == http.StatusPartialContent:
		size = totalFromRange(resp.Header.Get("Content-Range"), offset, size)
	}
	return resp.Body, size, nil
}

// totalFromRange parses "bytes a-b/total".
func totalFromRange(h string, offset, length int64) int64 {
	if _, total, ok := strings.Cut(h, "/"); ok {
		if n, err := strconv.ParseInt(total, 10, 64); err == nil {
			return n
		}
	}
	if length >= 0 {
		return offset + length
	}
	return -1
}

// BlobExists reports whether the repository has blob d.
func (s *Session) BlobExists(ctx context.Context, d digest.Digest) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, s.url("blobs", d.String()), nil)
	if err != nil {
		return false, err
	}
	resp, err := s.do(req, target{}, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	drain(resp)
	return resp.StatusCode == http.StatusOK, nil
}

// Mount asks the registry to mount blob d from repository from (same
// registry) into this one; false when it did not (then upload).
func (s *Session) Mount(ctx context.Context, d digest.Digest, from string) (bool, error) {
	q := url.Values{"mount": {d.String()}, "from": {from}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url("blobs", "uploads/")+"?"+q.Encode(), nil)
	if err != nil {
		return false, err
	}
	resp, err := s.do(req, target{}, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		return false, err
	}
	drain(resp)
	return resp.StatusCode == http.StatusCreated, nil
}

// PutBlob uploads size bytes of r as blob d (POST, then one PUT). When r
// is an io.Seeker the PUT can be sent again (after a token refresh) from
// the start of r, which must then be where the blob starts.
func (s *Session) PutBlob(ctx context.Context, d digest.Digest, size int64, r io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url("blobs", "uploads/"), nil)
	if err != nil {
		return err
	}
	resp, err := s.do(req, target{}, http.StatusAccepted)
	if err != nil {
		return err
	}
	drain(resp)
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return fmt.Errorf("registry gave no upload location: %w", errdefs.ErrUnknown)
	}
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	body, getBody := bodyFrom(r)
	put, err := http.NewRequestWithContext(ctx, http.MethodPut, loc.String(), body)
	if err != nil {
		return err
	}
	put.ContentLength, put.GetBody = size, getBody
	put.Header.Set("Content-Type", "application/octet-stream")
	resp, err = s.do(put, target{}, http.StatusCreated)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// PutManifest uploads a manifest under ref (a tag or its digest).
func (s *Session) PutManifest(ctx context.Context, ref string, raw []byte, mediaType string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.url("manifests", ref), strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(raw))
	req.Header.Set("Content-Type", mediaType)
	resp, err := s.do(req, target{ref: s.refString(ref)}, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}
