// Package decompress sniffs and undoes the compression of image layers and
// archives: gzip, bzip2, xz (through the xz binary) and zstd. It is apart
// from internal/archive so that the CLI, which extracts and writes plain
// tar streams only, does not link (and initialise) the zstd decoder.
package decompress

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	magicGzip  = []byte{0x1f, 0x8b, 0x08}
	magicBzip2 = []byte{0x42, 0x5a, 0x68}
	magicXz    = []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Stream returns r decompressed according to its leading magic
// bytes: gzip, bzip2, xz (through the xz binary), zstd, or r unchanged.
// Closing the result releases decoder resources; it does not close r.
func Stream(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(magicXz))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(head, magicBzip2):
		return io.NopCloser(bzip2.NewReader(br)), nil
	case bytes.HasPrefix(head, magicXz):
		return xzReader(br)
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// xzCmd reads xz data through `xz -dc`.
type xzCmd struct {
	io.Reader
	cmd *exec.Cmd
}

func xzReader(r io.Reader) (io.ReadCloser, error) {
	cmd := exec.Command("xz", "-d", "-c", "-q")
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	return &xzCmd{Reader: &xzErrReader{r: out, cmd: cmd, stderr: &stderr}, cmd: cmd}, nil
}

// Close stops xz if the stream was not read to the end and reaps it.
func (x *xzCmd) Close() error {
	if x.cmd.ProcessState == nil {
		_ = x.cmd.Process.Kill()
		_ = x.cmd.Wait()
	}
	return nil
}

// xzErrReader turns a failed xz exit into a read error at EOF, so corrupt
// input is not mistaken for a short stream.
type xzErrReader struct {
	r      io.Reader
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func (x *xzErrReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if errors.Is(err, io.EOF) {
		if werr := x.cmd.Wait(); werr != nil {
			return n, fmt.Errorf("xz: %v: %s", werr, bytes.TrimSpace(x.stderr.Bytes()))
		}
	}
	return n, err
}
