package container

import (
	"os"
	"testing"
)

// pipeWith returns the read end of a pipe holding s, closed for writing.
func pipeWith(t *testing.T, s string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	go func() {
		_, _ = w.WriteString(s)
		_ = w.Close()
	}()
	return r
}
