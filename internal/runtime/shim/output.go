package shim

import (
	"io"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/berth-engine/berth/internal/logs"
	"github.com/berth-engine/berth/internal/runtime"
)

const (
	chunkSize     = 32 * 1024
	clientBacklog = 4 * 1024 * 1024 // bytes queued for one attach client before it is dropped
	clientChunks  = 1024
)

// output is one stream of the container (stdout or stderr): a pump copies
// it, once released, to the log and to every attached client.
type output struct {
	name string
	done chan struct{} // closed when the stream ended and clients were told

	mu      sync.Mutex
	split   *logs.Splitter // nil: no log
	src     *os.File
	clients map[*client]struct{}
	ended   bool
}

func newOutput(name string) *output {
	return &output{name: name, done: make(chan struct{}), clients: map[*client]struct{}{}}
}

// setLog makes the output write its lines to w, before release.
func (o *output) setLog(w logs.Sink) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.split = logs.NewSplitter(o.name, w)
}

// pump copies src until EOF (EIO for a pty), starting once released.
func (o *output) pump(src *os.File, released <-chan struct{}) {
	o.mu.Lock()
	o.src = src
	o.mu.Unlock()
	defer src.Close()
	<-released
	o.mu.Lock()
	split := o.split
	o.mu.Unlock()
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			o.write(split, buf[:n])
		}
		if err != nil {
			break // io.EOF, EIO from a pty whose slave closed, or abort
		}
	}
	o.end()
}

func (o *output) write(split *logs.Splitter, p []byte) {
	if split != nil {
		if _, err := split.Write(p); err != nil {
			slog.Warn("write log", "stream", o.name, "err", err)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.clients) == 0 {
		return
	}
	chunk := append([]byte(nil), p...) // shared, read-only
	for c := range o.clients {
		if !c.enqueue(chunk) {
			slog.Warn("attach client too slow, dropped", "stream", o.name)
			delete(o.clients, c)
			c.drop()
		}
	}
}

// end flushes the log's partial line and ends every client's stream after
// what it has queued. It is idempotent.
func (o *output) end() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ended {
		return
	}
	o.ended = true
	if o.split != nil {
		if err := o.split.Flush(); err != nil {
			slog.Warn("write log", "stream", o.name, "err", err)
		}
	}
	for c := range o.clients {
		c.finish()
	}
	o.clients = nil
	close(o.done)
}

// abort unblocks a pump that waits for an EOF that does not come.
func (o *output) abort() {
	o.mu.Lock()
	src := o.src
	o.mu.Unlock()
	if src != nil {
		src.Close()
	} else {
		o.end()
	}
}

// attachReplying answers the attach request and adds conn as a client in
// one step under the output's lock: once the daemon has read the reply
// (and may release the output), no byte can miss the client. false (after
// the reply) if the stream already ended.
func (o *output) attachReplying(conn net.Conn, wg *sync.WaitGroup) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	reply(conn, runtime.Response{})
	if o.ended {
		return false
	}
	c := newClient(conn)
	o.clients[c] = struct{}{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.run()
	}()
	go o.watch(c)
	return true
}

// watch drops c when its peer hangs up.
func (o *output) watch(c *client) {
	io.Copy(io.Discard, c.conn) //nolint:errcheck // any end means gone
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.clients[c]; ok {
		delete(o.clients, c)
		c.drop()
	}
}
