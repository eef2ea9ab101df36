package shim

import (
	"net"
	"sync"
)

// client is one attached output stream. Its writer goroutine (run) sends
// queued chunks so that a slow peer never blocks the pump; past
// clientBacklog queued bytes the client is dropped instead.
type client struct {
	conn  net.Conn
	queue chan []byte

	mu      sync.Mutex
	queued  int
	closed  bool // queue closed: by finish (flush then close) or drop
	dropped bool
}

func newClient(conn net.Conn) *client {
	return &client{conn: conn, queue: make(chan []byte, clientChunks)}
}

// enqueue queues chunk; false if the client fell too far behind.
func (c *client) enqueue(chunk []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return true
	}
	if c.queued+len(chunk) > clientBacklog {
		return false
	}
	select {
	case c.queue <- chunk:
		c.queued += len(chunk)
		return true
	default:
		return false
	}
}

// finish ends the stream once the queued chunks are sent.
func (c *client) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
}

// drop ends the stream now, discarding what is queued.
func (c *client) drop() {
	c.mu.Lock()
	c.dropped = true
	c.mu.Unlock()
	c.finish()
	c.conn.Close()
}

func (c *client) run() {
	defer c.conn.Close()
	for chunk := range c.queue {
		if _, err := c.conn.Write(chunk); err != nil {
			c.drop()
			continue // drain the queue
		}
		c.mu.Lock()
		c.queued -= len(chunk)
		c.mu.Unlock()
	}
}
