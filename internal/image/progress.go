package image

import (
	"sync"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
)

// ProgressFunc receives progress in Docker's jsonmessage form (what
// `docker pull` and `docker push` draw). The service never calls it from
// two goroutines at once.
type ProgressFunc func(jsonstream.Message)

// progress serializes and throttles a ProgressFunc.
type progress struct {
	mu   sync.Mutex
	fn   ProgressFunc
	last map[string]time.Time
}

func newProgress(fn ProgressFunc) *progress {
	if fn == nil {
		fn = func(jsonstream.Message) {}
	}
	return &progress{fn: fn, last: map[string]time.Time{}}
}

func (p *progress) send(m jsonstream.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn(m)
}

// status sends a plain status line for id ("" for a global line).
func (p *progress) status(id, status string) {
	p.send(jsonstream.Message{ID: id, Status: status})
}

// bar sends a progress update, at most every 100ms per id unless final.
func (p *progress) bar(id, status string, cur, total int64) {
	p.mu.Lock()
	now := time.Now()
	if cur < total && now.Sub(p.last[id]) < 100*time.Millisecond {
		p.mu.Unlock()
		return
	}
	p.last[id] = now
	p.mu.Unlock()
	if total < 0 {
		total = 0
	}
	p.send(jsonstream.Message{ID: id, Status: status, Progress: &jsonstream.Progress{Current: cur, Total: total}})
}

// counter counts bytes read and reports them as a progress bar.
type counter struct {
	r      interface{ Read([]byte) (int, error) }
	p      *progress
	id     string
	status string
	n      int64
	total  int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.p.bar(c.id, c.status, c.n, c.total)
	return n, err
}

// shortID is the 12-hex-character id Docker shows for layers.
func shortID(d interface{ Encoded() string }) string {
	e := d.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}
