package image

import (
	"io"
	"strings"
	"testing"
)

func TestSeekCounterRestartsBar(t *testing.T) {
	data := strings.Repeat("x", 1000)
	var rec recorder
	c := &seekCounter{counter{r: strings.NewReader(data), p: newProgress(rec.fn), id: "l", status: "Pushing", total: 1000}, nil}
	c.s = c.counter.r.(io.Seeker)
	if _, err := io.CopyN(io.Discard, c, 600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		off, want int64
	}{{0, 0}, {250, 250}} {
		if n, err := c.Seek(tc.off, io.SeekStart); err != nil || n != tc.want || c.n != tc.want {
			t.Errorf("Seek(%d) = %d, %v; count %d", tc.off, n, err, c.n)
		}
	}
	if n, _ := io.Copy(io.Discard, c); n != 750 || c.n != 1000 {
		t.Errorf("read %d after seeking, count %d", n, c.n)
	}
}
