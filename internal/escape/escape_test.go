package escape

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestParse(t *testing.T) {
	cases := map[string][]byte{
		"":              {0x10, 0x11},
		"ctrl-p,ctrl-q": {0x10, 0x11},
		"ctrl-a,x":      {0x01, 'x'},
		"ctrl-@,ctrl-_": {0x00, 0x1f},
		"ctrl-P":        {0x10},
	}
	for in, want := range cases {
		got, err := Parse(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"ctrl-", "ctrl-1", "alt-x", "ab", "ctrl-p,,"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

func TestReader(t *testing.T) {
	keys := []byte{0x10, 0x11}
	cases := []struct {
		in, out  string
		detached bool
	}{
		{"hello", "hello", false},
		{"ab\x10\x11cd", "ab", true},
		{"\x10x\x10\x11", "\x10x", true},
		{"a\x10", "a\x10", false},      // a partial match at EOF is input
		{"\x10\x10\x11", "\x10", true}, // a broken match restarts
	}
	for _, tc := range cases {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = bytes.NewReader([]byte(tc.in))
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			var out bytes.Buffer
			_, err := io.Copy(&out, NewReader(src, keys))
			if errors.Is(err, ErrDetached) != tc.detached || out.String() != tc.out {
				t.Errorf("%q (one byte %v): %q %v", tc.in, oneByte, out.String(), err)
			}
		}
	}
}
