// Package escape implements Docker's detach keys: parsing the
// "ctrl-p,ctrl-q" notation and a reader that stops at the sequence. The
// daemon uses it on attach streams of TTY containers, the CLI on its own
// terminal input. It imports no other Berth package.
package escape

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/containerd/errdefs"
)

// Default is Docker's detach sequence, ctrl-p ctrl-q.
const Default = "ctrl-p,ctrl-q"

// ErrDetached is returned by a Reader when it read the detach sequence.
var ErrDetached = errors.New("read escape sequence")

// Parse turns "ctrl-p,ctrl-q" (or single characters, "a,ctrl-@") into the
// byte sequence. "" means Default.
func Parse(s string) ([]byte, error) {
	if s == "" {
		s = Default
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case len(k) == 6 && strings.HasPrefix(strings.ToLower(k), "ctrl-"):
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				out = append(out, c-'a'+1)
			case c >= 'A' && c <= 'Z':
				out = append(out, c-'A'+1)
			case c >= '@' && c <= '_':
				out = append(out, c-'@')
			default:
				return nil, invalid(s)
			}
		default:
			return nil, invalid(s)
		}
	}
	return out, nil
}

func invalid(s string) error {
	return fmt.Errorf("Invalid detach keys (%s) provided: %w", s, errdefs.ErrInvalidArgument)
}

// Reader passes src through until the key sequence appears; then Read
// returns ErrDetached. Bytes of a partial match are held back and released
// when the match breaks (or the input ends), so ordinary input is never lost.
type Reader struct {
	src      io.Reader
	keys     []byte
	matched  int
	pending  []byte
	detached bool
}

// NewReader wraps src; empty keys disable detection.
func NewReader(src io.Reader, keys []byte) *Reader { return &Reader{src: src, keys: keys} }

func (r *Reader) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	if r.detached {
		return 0, ErrDetached
	}
	if len(r.keys) == 0 {
		return r.src.Read(p)
	}
	buf := make([]byte, len(p))
	n, err := r.src.Read(buf)
	var out []byte
	for _, b := range buf[:n] {
		if b == r.keys[r.matched] {
			r.matched++
			if r.matched == len(r.keys) {
				r.detached, r.matched = true, 0
				break
			}
			continue
		}
		if r.matched > 0 { // the partial match was ordinary input after all
			out = append(out, r.keys[:r.matched]...)
			r.matched = 0
			if b == r.keys[0] {
				r.matched = 1
				continue
			}
		}
		out = append(out, b)
	}
	if err != nil && r.matched > 0 { // input ended inside a partial match
		out = append(out, r.keys[:r.matched]...)
		r.matched = 0
	}
	k := copy(p, out)
	r.pending = append(r.pending, out[k:]...)
	switch {
	case k == 0 && r.detached:
		return 0, ErrDetached
	case len(r.pending) > 0 || r.detached:
		return k, nil
	}
	return k, err
}
