package image

import (
	"context"
	"sync"
)

// keyLock is a set of mutexes named by string keys, created on demand and
// dropped when nobody holds or waits for them. The zero value is ready.
//
// Pushes use it so that one Berth daemon never writes the same blob to
// the same repository twice at once, and never compresses one layer twice
// at once. The distribution registry (Debian's docker-registry) commits
// an upload or a cross-repository mount by rewriting the repository's
// link file for the blob in place (truncate, then write); a second upload
// of the blob committing while a manifest PUT that names it is being
// verified makes the registry read an empty link and reject the manifest
// with "digest invalid: provided digest did not match uploaded content;
// manifest blob unknown". Docker avoids it the same way: its upload
// manager runs one transfer per layer and repository.
type keyLock struct {
	mu    sync.Mutex
	locks map[string]*keyEntry
}

type keyEntry struct {
	sem  chan struct{} // holds one token while locked
	refs int           // holders and waiters
}

// lock takes the mutex for key, waiting until it is free or ctx is done,
// and returns the function that releases it.
func (k *keyLock) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyEntry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &keyEntry{sem: make(chan struct{}, 1)}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	select {
	case e.sem <- struct{}{}:
		return func() { <-e.sem; k.release(key, e) }, nil
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
}

func (k *keyLock) release(key string, e *keyEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(k.locks, key)
	}
}

// size is how many keys are held or awaited (for tests).
func (k *keyLock) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.locks)
}
