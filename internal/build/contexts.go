package build

import (
	"archive/tar"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// keepIdle is how long the context cache keeps the last context when no
// build uses it.
const keepIdle = 10 * time.Minute

// WithContextCache keeps the last build context received in dir (a
// size-capped tmpfs, like WithMemoryContexts's) between builds: the next
// build receiving a context is received into it, and only what changed is
// written. It is emptied after 10 minutes unused and by Prune.
func WithContextCache(dir string) Option {
	return func(b *Builder) { b.ctxs.slot = filepath.Join(dir, "context") }
}

// contexts tracks received build contexts: those of running builds (the
// digests of their files, by directory) and the context cache, one slot
// that holds the last context received into it. One build at a time uses
// the slot; a build that finds it in use receives into a new directory
// that is removed after it.
type contexts struct {
	mu      sync.Mutex
	running map[string]*received
	slot    string               // the cache's directory ("": no cache)
	busy    bool                 // a build uses the slot
	kept    map[string]entryMeta // what the slot holds when not busy
	timer   *time.Timer
}

// received is a context directory and what was received into it.
type received struct {
	dir     string
	entries map[string]entryMeta // by relative name, directories too
	order   []string             // the names in walk order
}

// entryMeta is what a context entry was made from.
type entryMeta struct {
	typ    byte // tar type flag (TypeReg for hard links too)
	mode   int64
	mtime  time.Time
	uid    int
	gid    int
	link   string // symlink target
	size   int64
	sum    [sha256.Size]byte
	linked bool // a regular file with hard links
}

// contextSums are the content digests of a context's regular files, by
// host path.
type contextSums map[string][sha256.Size]byte

// sumsOf returns the digests recorded when dir was received (nil if it was
// not received as a tar stream).
func (b *Builder) sumsOf(dir string) contextSums {
	b.ctxs.mu.Lock()
	r := b.ctxs.running[dir]
	b.ctxs.mu.Unlock()
	if r == nil {
		return nil
	}
	sums := make(contextSums, len(r.entries))
	for rel, e := range r.entries {
		if e.typ == tar.TypeReg {
			sums[filepath.Join(dir, rel)] = e.sum
		}
	}
	return sums
}

// started records a received context of a running build.
func (c *contexts) started(r *received) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[string]*received{}
	}
	r.sortEntries()
	c.running[r.dir] = r
}

// take gives the slot to a build about to receive a context: its
// directory and what it holds. "" when there is no cache or it is in use.
func (c *contexts) take() (string, map[string]entryMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.slot == "" || c.busy {
		return "", nil
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	if err := os.MkdirAll(c.slot, 0o700); err != nil {
		return "", nil
	}
	c.busy = true
	kept := c.kept
	c.kept = nil
	return c.slot, kept
}

// release ends the use of context dir by its build: the slot keeps what
// was received into it; any other directory is removed.
func (b *Builder) release(dir string) {
	if dir == "" {
		return
	}
	c := &b.ctxs
	c.mu.Lock()
	r := c.running[dir]
	delete(c.running, dir)
	slot := c.slot != "" && dir == c.slot
	if slot {
		c.busy = false
		if r != nil {
			c.kept = r.entries
			c.timer = time.AfterFunc(keepIdle, c.empty)
		}
	}
	c.mu.Unlock()
	if !slot {
		os.RemoveAll(dir)
	} else if r == nil { // not completely received: start over
		emptyDir(dir)
	}
	os.RemoveAll(dir + ".secrets")
	os.RemoveAll(dir + ".downloads")
}

// empty removes what the slot holds unless a build uses it.
func (c *contexts) empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.slot == "" || c.busy {
		return
	}
	c.kept = nil
	emptyDir(c.slot)
}

func emptyDir(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
