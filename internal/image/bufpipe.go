package image

import (
	"context"
	"io"
	"sync"
)

// bufPipe reads src in a goroutine into a bounded queue of chunks, so the
// producer (decompression, hashing) and the consumer (unpacking) run on
// different cores instead of taking turns as with io.Pipe.
type bufPipe struct {
	ch   chan []byte
	cur  []byte
	err  error
	stop chan struct{}
	once sync.Once
	errc chan error
}

const (
	bufChunk = 256 << 10
	bufDepth = 16
)

func newBufPipe(ctx context.Context, src io.Reader) *bufPipe {
	p := &bufPipe{ch: make(chan []byte, bufDepth), stop: make(chan struct{}), errc: make(chan error, 1)}
	go p.fill(ctx, src)
	return p
}

func (p *bufPipe) fill(ctx context.Context, src io.Reader) {
	defer close(p.ch)
	for {
		buf := make([]byte, bufChunk)
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			select {
			case p.ch <- buf[:n]:
			case <-p.stop:
				return
			case <-ctx.Done():
				p.errc <- ctx.Err()
				return
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			p.errc <- err
			return
		}
	}
}

func (p *bufPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		chunk, ok := <-p.ch
		if !ok {
			select {
			case p.err = <-p.errc:
			default:
				p.err = io.EOF
			}
			continue
		}
		p.cur = chunk
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// Close stops the producer; it does not close src.
func (p *bufPipe) Close() error {
	p.once.Do(func() { close(p.stop) })
	for range p.ch { // let fill return
	}
	return nil
}
