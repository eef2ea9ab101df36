package registry

import (
	"io"
	"net/http"
)

// rewind sends every request that can produce its body again
// (GetBody) with a fresh body. ggcr's bearer transport answers a
// 401 challenge (an expired token) by fetching a new token and sending
// the same *http.Request again; without this the retry would send what
// is left of a body the first attempt consumed, and an upload would fail
// ("ContentLength=N with Body length 0") or carry the wrong bytes.
type rewind struct{ inner http.RoundTripper }

func (t rewind) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody == nil || req.Body == nil || req.Body == http.NoBody {
		return t.inner.RoundTrip(req)
	}
	body, err := req.GetBody()
	if err != nil {
		req.Body.Close()
		return nil, err
	}
	req.Body.Close()
	r := req.Clone(req.Context())
	r.Body = body
	return t.inner.RoundTrip(r)
}

// bodyFrom returns r as a request body and, when r can seek, the GetBody
// that rewinds it to its start.
func bodyFrom(r io.Reader) (io.ReadCloser, func() (io.ReadCloser, error)) {
	body := io.NopCloser(r)
	s, ok := r.(io.Seeker)
	if !ok {
		return body, nil
	}
	return body, func() (io.ReadCloser, error) {
		if _, err := s.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return io.NopCloser(r), nil
	}
}
